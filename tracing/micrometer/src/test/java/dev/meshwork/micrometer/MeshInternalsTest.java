package dev.meshwork.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.AccessRule;
import dev.meshwork.Attempt;
import dev.meshwork.Backend;
import dev.meshwork.ConfigException;
import dev.meshwork.Endpoint;
import dev.meshwork.EndpointGate;
import dev.meshwork.GateState;
import dev.meshwork.InboundCall;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshRequest;
import dev.meshwork.ResponseClass;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.SpiffeId;
import dev.meshwork.X509Identity;
import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Meters for the mesh's control plane and endpoint health, driven through a real mesh. */
class MeshInternalsTest {

  private final FakeTicker ticker = new FakeTicker();
  private final InMemorySource source = new InMemorySource("test-source");
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MeshMetrics metrics =
      MeshMetrics.builder(registry).namespace("shop").deployment("web").build();
  private final Endpoint a = Endpoint.of("10.0.0.1", 80);
  private final Endpoint b = Endpoint.of("10.0.0.2", 80);
  private final Endpoint c = Endpoint.of("10.0.0.3", 80);
  private Mesh mesh;

  @AfterEach
  void tearDown() {
    if (mesh != null) {
      mesh.close();
    }
  }

  private Mesh build(Mesh.Builder builder) {
    mesh = builder.source(source).ticker(ticker).listener(metrics).build();
    metrics.bindTo(mesh);
    return mesh;
  }

  /** A GET for scenario calls driven directly through the mesh's call API. */
  private static MeshRequest get(String path) {
    return new MeshRequest() {
      @Override
      public String method() {
        return "GET";
      }

      @Override
      public String path() {
        return path;
      }

      @Override
      public @Nullable String header(String lowerCaseName) {
        return null;
      }
    };
  }

  /**
   * A gate that ejects its endpoint at the first failure and reports it to the mesh's listener, as
   * an outlier detector does.
   */
  private static EndpointGate ejectingOnFailure(ServiceName service, Endpoint e, Mesh m) {
    AtomicBoolean ejected = new AtomicBoolean();
    return new EndpointGate() {
      @Override
      public boolean isAdmitting() {
        return !ejected.get();
      }

      @Override
      public boolean tryAcquire() {
        return !ejected.get();
      }

      @Override
      public void onComplete(ResponseClass result, long latencyNanos) {
        if (result.isFailure() && ejected.compareAndSet(false, true)) {
          m.listener()
              .gateStateChanged(service, e, GateState.ADMITTING, GateState.REJECTING, "1 failure");
        }
      }

      @Override
      public void release() {}
    };
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  @Test
  void endpointsAreCountedByGateStateAndAnEjectionIsATransitionToRejecting() {
    build(Mesh.builder().gates(MeshInternalsTest::ejectingOnFailure));
    source.endpoints("ratings", a, b, c);

    MeshCall call = mesh.newCall("ratings", get("/"));
    Attempt first = call.startAttempt();
    call.completeHttp(first, 503);

    assertThat(gauge("meshwork.endpoints", "service", "ratings.default", "state", "rejecting"))
        .isEqualTo(1);
    assertThat(gauge("meshwork.endpoints", "service", "ratings.default", "state", "admitting"))
        .isEqualTo(2);
    assertThat(gauge("meshwork.endpoints", "service", "ratings.default", "state", "probing"))
        .isZero();
    assertThat(
            count(
                "meshwork.gate.transitions",
                "service",
                "ratings.default",
                "from",
                "admitting",
                "to",
                "rejecting"))
        .isEqualTo(1);

    // The ejected endpoint leaves discovery: it no longer counts anywhere.
    List<Endpoint> left = new java.util.ArrayList<>(List.of(a, b, c));
    left.remove(first.endpoint());
    source.endpoints(ServiceName.of("ratings"), left);
    assertThat(gauge("meshwork.endpoints", "service", "ratings.default", "state", "rejecting"))
        .isZero();
    assertThat(gauge("meshwork.endpoints", "service", "ratings.default", "state", "admitting"))
        .isEqualTo(2);
  }

  @Test
  void hedgedBackupsAreCountedApartFromRetries() {
    build(Mesh.builder().hedging(call -> 1_000_000));
    source.endpoints("ratings", a, b);

    MeshCall call = mesh.newCall("ratings", get("/"));
    Attempt first = call.startAttempt();
    Attempt backup = call.startBackup();
    assertThat(backup).isNotNull();
    call.completeHttp(backup, 200);
    call.completeCancelled(first);

    assertThat(count("meshwork.backups", "authority", "ratings.default")).isEqualTo(1);
    assertThat(count("meshwork.retries", "authority", "ratings.default")).isZero();
    // Both attempts were sent; only the backup's answer is a response.
    assertThat(
            registry.get("request").tags("direction", "outbound").counters().stream()
                .mapToDouble(c -> c.count())
                .sum())
        .isEqualTo(2);
  }

  @Test
  void snapshotsRejectionsFailingSourcesAndEmptyBackendsAreMetered() {
    build(Mesh.builder());
    source.endpoints("ratings-v2", a);
    long generation = mesh.snapshot().generation();
    assertThat(gauge("meshwork.snapshot.generation")).isEqualTo(generation);

    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("ratings")
                    .route(Route.to(Backend.of("ratings-v1", 50), Backend.of("ratings-v2", 50)))
                    .build())
            .build());
    source.reject(ConfigException.of("ratings.yaml", "spec.backends[0].weight", -5, ">= 0"));
    source.fail(new IOException("connection refused"));

    assertThat(gauge("meshwork.snapshot.generation")).isEqualTo(generation + 1);
    assertThat(count("meshwork.config.rejections")).isEqualTo(1);
    assertThat(count("meshwork.source.failures", "source", "test-source")).isEqualTo(1);
    assertThat(gauge("meshwork.source.up", "source", "test-source")).isZero();
    assertThat(
            count(
                "meshwork.backend.unavailable",
                "authority",
                "ratings.default",
                "backend",
                "ratings-v1.default"))
        .isEqualTo(1);

    source.recover();
    assertThat(gauge("meshwork.source.up", "source", "test-source")).isEqualTo(1);
  }

  @Test
  void certificateExpiryIsExposedPerSourceAndExpiryWarningsAreCounted() throws Exception {
    build(Mesh.builder());
    Instant notAfter = Instant.parse("2030-01-02T03:04:05Z");
    X509Identity identity = identity(notAfter);

    mesh.listener().identityUpdated("spiffe-files", identity);
    mesh.listener().identityExpiring("spiffe-files", identity, Duration.ofHours(2));

    assertThat(
            gauge("meshwork.identity.cert.expiration.timestamp.seconds", "source", "spiffe-files"))
        .isEqualTo(notAfter.getEpochSecond());
    assertThat(count("meshwork.identity.updates", "source", "spiffe-files")).isEqualTo(1);
    assertThat(count("meshwork.identity.expiring", "source", "spiffe-files")).isEqualTo(1);
  }

  @Test
  void requestsTheAccessPolicyDeniesAreCountedByProtocol() {
    build(Mesh.builder().defaultAccess(AccessRule.Action.DENY));
    SpiffeId self = SpiffeId.kubernetes("cluster.local", "shop", "web");
    InboundCall call =
        InboundCall.start(mesh, InboundCall.Protocol.GRPC, "POST", "/shop.Cart/Pay", null, null);

    mesh.listener()
        .accessDenied(call, mesh.snapshot().accessPolicy().evaluate(self, null, get("/")));

    assertThat(count("meshwork.access.denied", "protocol", "grpc")).isEqualTo(1);
  }

  private static X509Identity identity(Instant notAfter) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair keys = g.generateKeyPair();
    X500Name name = new X500Name("CN=web");
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        name,
                        BigInteger.ONE,
                        Date.from(notAfter.minus(Duration.ofDays(1))),
                        Date.from(notAfter),
                        name,
                        keys.getPublic())
                    .build(
                        new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    return X509Identity.of(List.of(cert), keys.getPrivate(), List.of(cert));
  }
}
