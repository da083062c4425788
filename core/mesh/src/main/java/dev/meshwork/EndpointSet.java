package dev.meshwork;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The endpoints of one backend (a service or one of its subsets) as the balancer sees them: an
 * immutable array of states, built on the control thread and read on every pick.
 */
final class EndpointSet {

  static final EndpointSet EMPTY = new EndpointSet(new EndpointState[0], List.of());

  final EndpointState[] states;

  /** The endpoints this set was built from, for equality checks and inspection. */
  final List<Endpoint> endpoints;

  /** Running sums of endpoint weights, for the weighted balancer. */
  final long[] cumulativeWeights;

  /** The round-robin cursor; shared by all calls to this backend. */
  final AtomicInteger cursor = new AtomicInteger();

  EndpointSet(EndpointState[] states, List<Endpoint> endpoints) {
    this.states = states;
    this.endpoints = endpoints;
    this.cumulativeWeights = new long[states.length];
    long sum = 0;
    for (int i = 0; i < states.length; i++) {
      sum += states[i].endpoint().weight();
      cumulativeWeights[i] = sum;
    }
  }

  static EndpointSet of(List<EndpointState> states) {
    if (states.isEmpty()) {
      return EMPTY;
    }
    List<Endpoint> endpoints = new ArrayList<>(states.size());
    for (EndpointState s : states) {
      endpoints.add(s.endpoint());
    }
    return new EndpointSet(
        states.toArray(new EndpointState[0]), Collections.unmodifiableList(endpoints));
  }

  boolean isEmpty() {
    return states.length == 0;
  }

  int size() {
    return states.length;
  }

  /** How many endpoints currently refuse traffic through their gate. */
  int rejecting() {
    int n = 0;
    for (EndpointState s : states) {
      if (!s.isAdmitting()) {
        n++;
      }
    }
    return n;
  }
}
