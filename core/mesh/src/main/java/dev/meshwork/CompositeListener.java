package dev.meshwork;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Several listeners in order, each shielded from the others: a listener that throws is logged once
 * and otherwise ignored, so observers can never break a request. The mesh always calls its
 * listeners through one of these.
 */
final class CompositeListener implements MeshListener {

  private static final System.Logger LOG = System.getLogger(Mesh.class.getName());

  final MeshListener[] listeners;
  private final Set<Class<?>> reported = ConcurrentHashMap.newKeySet();

  CompositeListener(MeshListener[] listeners) {
    this.listeners = listeners;
  }

  static CompositeListener guarding(MeshListener listener) {
    List<MeshListener> all = new ArrayList<>();
    flatten(listener, all);
    return new CompositeListener(all.toArray(new MeshListener[0]));
  }

  private void failed(MeshListener l, Throwable e) {
    if (e instanceof VirtualMachineError) {
      throw (VirtualMachineError) e;
    }
    if (reported.add(l.getClass())) {
      LOG.log(System.Logger.Level.WARNING, "mesh listener " + l + " threw; ignoring it", e);
    }
  }

  static void flatten(MeshListener l, List<MeshListener> into) {
    if (l instanceof CompositeListener) {
      into.addAll(List.of(((CompositeListener) l).listeners));
    } else if (l != NONE) {
      into.add(l);
    }
  }

  @Override
  public void callStarted(MeshCall call) {
    for (MeshListener l : listeners) {
      try {
        l.callStarted(call);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void attemptStarted(MeshCall call, Attempt attempt) {
    for (MeshListener l : listeners) {
      try {
        l.attemptStarted(call, attempt);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void attemptEnded(MeshCall call, Attempt attempt) {
    for (MeshListener l : listeners) {
      try {
        l.attemptEnded(call, attempt);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void callEnded(MeshCall call) {
    for (MeshListener l : listeners) {
      try {
        l.callEnded(call);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void failedOpen(MeshCall call, String backend) {
    for (MeshListener l : listeners) {
      try {
        l.failedOpen(call, backend);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void inboundStarted(InboundCall call) {
    for (MeshListener l : listeners) {
      try {
        l.inboundStarted(call);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void inboundEnded(InboundCall call) {
    for (MeshListener l : listeners) {
      try {
        l.inboundEnded(call);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void snapshotApplied(MeshSnapshot snapshot) {
    for (MeshListener l : listeners) {
      try {
        l.snapshotApplied(snapshot);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void configRejected(ConfigException error) {
    for (MeshListener l : listeners) {
      try {
        l.configRejected(error);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void sourceFailed(String source, Throwable error) {
    for (MeshListener l : listeners) {
      try {
        l.sourceFailed(source, error);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void sourceRecovered(String source) {
    for (MeshListener l : listeners) {
      try {
        l.sourceRecovered(source);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void backendUnavailable(ServiceName service, Route route, Backend backend) {
    for (MeshListener l : listeners) {
      try {
        l.backendUnavailable(service, route, backend);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void gateStateChanged(
      ServiceName service, Endpoint endpoint, GateState from, GateState to, String reason) {
    for (MeshListener l : listeners) {
      try {
        l.gateStateChanged(service, endpoint, from, to, reason);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void accessDenied(InboundCall call, AccessDecision decision) {
    for (MeshListener l : listeners) {
      try {
        l.accessDenied(call, decision);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void identityUpdated(String source, X509Identity identity) {
    for (MeshListener l : listeners) {
      try {
        l.identityUpdated(source, identity);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }

  @Override
  public void identityExpiring(String source, X509Identity identity, java.time.Duration remaining) {
    for (MeshListener l : listeners) {
      try {
        l.identityExpiring(source, identity, remaining);
      } catch (RuntimeException | Error e) {
        failed(l, e);
      }
    }
  }
}
