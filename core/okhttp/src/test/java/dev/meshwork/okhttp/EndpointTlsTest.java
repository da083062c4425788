package dev.meshwork.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.SpiffeId;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

class EndpointTlsTest {

  @Test
  void failedHandshakesCountAsNeverSentButTlsErrorsAfterwardsDoNot() {
    assertThat(MeshInterceptor.neverSent(new SSLHandshakeException("bad_certificate"))).isTrue();
    assertThat(MeshInterceptor.neverSent(new SSLPeerUnverifiedException("wrong identity")))
        .isTrue();
    assertThat(MeshInterceptor.neverSent(new ConnectException("refused"))).isTrue();
    assertThat(MeshInterceptor.neverSent(new SSLException("connection reset"))).isFalse();
    assertThat(MeshInterceptor.neverSent(new SocketTimeoutException("Read timed out"))).isFalse();
  }

  @Test
  void attemptsUnderMtlsGoOutAsHttpsKeepingAnExplicitPort() {
    assertThat(EndpointTls.https(HttpUrl.get("http://reviews/books/1?x=1")).toString())
        .isEqualTo("https://reviews/books/1?x=1");
    assertThat(EndpointTls.https(HttpUrl.get("http://reviews:8080/")).port()).isEqualTo(8080);
    HttpUrl already = HttpUrl.get("https://reviews/");
    assertThat(EndpointTls.https(already)).isSameAs(already);
  }

  @Test
  void verifiersAreEqualForTheSameIdentitySoPooledConnectionsAreShared() {
    SpiffeId reviews = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews");
    SpiffeId ratings = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/ratings");

    assertThat(new EndpointTls.IdentityVerifier(reviews))
        .isEqualTo(new EndpointTls.IdentityVerifier(reviews))
        .hasSameHashCodeAs(new EndpointTls.IdentityVerifier(reviews))
        .isNotEqualTo(new EndpointTls.IdentityVerifier(ratings));
  }
}
