package dev.meshwork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.testing.FakeTicker;
import dev.meshwork.testing.InMemorySource;
import dev.meshwork.testing.RecordingListener;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class InboundAccessTest {

  private static final SpiffeId CART = SpiffeId.kubernetes("cluster.local", "shop", "cart");
  private static final SpiffeId WEB = SpiffeId.kubernetes("cluster.local", "shop", "web");
  private static final SpiffeId INTRUDER = SpiffeId.kubernetes("cluster.local", "shop", "intruder");

  private final FakeTicker ticker = new FakeTicker();
  private final RecordingListener events = new RecordingListener();
  private final InMemorySource source = new InMemorySource();
  private final FakeSecurity security = new FakeSecurity();

  private Mesh mesh(AccessRule.Action defaultAccess) {
    return Mesh.builder()
        .source(source)
        .listener(events)
        .ticker(ticker)
        .defaultAccess(defaultAccess)
        .transportSecurity(security)
        .build();
  }

  private static InboundCall call(Mesh mesh, @Nullable SpiffeId peer) {
    return InboundCall.start(mesh, InboundCall.Protocol.HTTP, "GET", "/cart", peer, null);
  }

  private void allowWebToCart() {
    source.config(
        MeshConfig.builder()
            .accessRule(
                AccessRule.allow(
                        IdentityMatch.serviceAccount("shop", "web"),
                        IdentityMatch.serviceAccount("shop", "cart"))
                    .withOrigin("cart-access.yaml"))
            .build());
  }

  @Test
  void withoutRulesEveryRequestIsAllowed() {
    Mesh mesh = mesh(AccessRule.Action.ALLOW);

    AccessDecision d = mesh.authorize(call(mesh, null), TestRequest.get("/cart"));

    assertThat(d.allowed()).isTrue();
    assertThat(events.events("accessDenied")).isEmpty();
  }

  @Test
  void aRuleForThisServerAllowsItsSourceAndDeniesAndReportsAnyOther() {
    Mesh mesh = mesh(AccessRule.Action.ALLOW);
    security.self = CART;
    allowWebToCart();

    AccessDecision allowed = mesh.authorize(call(mesh, WEB), TestRequest.get("/cart"));
    AccessDecision denied = mesh.authorize(call(mesh, INTRUDER), TestRequest.get("/cart"));

    assertThat(allowed.allowed()).isTrue();
    assertThat(allowed.reason()).contains("cart-access.yaml");
    assertThat(denied.allowed()).isFalse();
    assertThat(events.events("accessDenied"))
        .containsExactly(
            "accessDenied GET /cart no access rule allows "
                + INTRUDER
                + " to GET /cart on "
                + CART);
  }

  @Test
  void aCallerWithoutCertificateIsDeniedOnceThisServerHasAPolicy() {
    Mesh mesh = mesh(AccessRule.Action.ALLOW);
    security.self = CART;
    allowWebToCart();

    AccessDecision d = mesh.authorize(call(mesh, null), TestRequest.get("/cart"));

    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("requires a client certificate");
  }

  @Test
  void aServerWithoutIdentityFallsUnderTheDefaultAction() {
    Mesh open = mesh(AccessRule.Action.ALLOW);
    allowWebToCart();
    assertThat(open.authorize(call(open, INTRUDER), TestRequest.get("/cart")).allowed()).isTrue();

    Mesh closed =
        Mesh.builder()
            .transportSecurity(new FakeSecurity())
            .defaultAccess(AccessRule.Action.DENY)
            .listener(events)
            .build();
    AccessDecision d = closed.authorize(call(closed, WEB), TestRequest.get("/cart"));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason()).contains("no workload identity").contains("default deny");
  }

  @Test
  void transportSecurityStartsWithTheMeshAndClosesWithIt() {
    Mesh mesh = mesh(AccessRule.Action.ALLOW);
    assertThat(security.lifecycle).containsExactly("start");
    assertThat(mesh.transportSecurity()).isSameAs(security);

    mesh.close();

    assertThat(security.lifecycle).containsExactly("start", "close");
    assertThat(Mesh.builder().build().transportSecurity()).isNull();
  }

  /** Only the identity matters for access decisions; key material is not used here. */
  private static final class FakeSecurity implements TransportSecurity {
    @Nullable SpiffeId self;
    final List<String> lifecycle = new ArrayList<>();

    @Override
    public void start(Mesh mesh) {
      lifecycle.add("start");
    }

    @Override
    public void close() {
      lifecycle.add("close");
    }

    @Override
    public Mode mode(ServiceName destination) {
      return Mode.DISABLED;
    }

    @Override
    public @Nullable SpiffeId serverIdentity(ServiceName destination, Endpoint endpoint) {
      return null;
    }

    @Override
    public @Nullable X509Identity identity() {
      return null;
    }

    @Override
    public @Nullable SpiffeId localIdentity() {
      return self;
    }

    @Override
    public X509ExtendedKeyManager keyManager() {
      throw new UnsupportedOperationException();
    }

    @Override
    public X509TrustManager trustManager() {
      throw new UnsupportedOperationException();
    }

    @Override
    public SSLSocketFactory clientSocketFactory(SpiffeId expected) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void checkServer(X509Certificate[] chain, String authType, SpiffeId expected) {
      throw new UnsupportedOperationException();
    }

    @Override
    public X509ExtendedTrustManager serverTrustManager() {
      throw new UnsupportedOperationException();
    }

    @Override
    public SSLContext serverContext() {
      throw new UnsupportedOperationException();
    }
  }
}
