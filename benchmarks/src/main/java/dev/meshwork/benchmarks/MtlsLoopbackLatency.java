package dev.meshwork.benchmarks;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.meshwork.Endpoint;
import dev.meshwork.IdentitySource;
import dev.meshwork.Mesh;
import dev.meshwork.SpiffeId;
import dev.meshwork.StaticSource;
import dev.meshwork.TransportSecurity;
import dev.meshwork.X509Identity;
import dev.meshwork.okhttp.MeshOkHttp;
import dev.meshwork.tls.MeshTls;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import okhttp3.Call;
import okhttp3.EventListener;
import okhttp3.Handshake;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What mTLS with workload identity costs per request on loopback, against plain TLS, and whether
 * connections are reused (handshakes per arm). A plain {@code main}, not JMH. One request in
 * flight; the arms are interleaved in blocks (alternating which goes first) after warm-up, and
 * compared by the median of per-block ratios to {@code TLS}:
 *
 * <ul>
 *   <li>{@code TLS}: OkHttp over HTTPS to a JDK {@code HttpsServer} that does not ask for a client
 *       certificate (server authentication only), the server verified by its SPIFFE ID.
 *   <li>{@code MTLS}: the same client to a server that requires a client certificate: the client
 *       presents its workload certificate.
 *   <li>{@code MESH_MTLS}: {@code http://bench/} through the mesh ({@code MeshOkHttp} with {@code
 *       MeshTls}, STRICT) to the mTLS server: routing, the per-attempt TLS overrides and identity
 *       checks included.
 * </ul>
 *
 * Both servers use the same ECDSA P-256 certificate and answer 200 without a body.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.meshwork.benchmarks.MtlsLoopbackLatency 20 5000
 * </pre>
 */
public final class MtlsLoopbackLatency {

  private enum Arm {
    TLS,
    MTLS,
    MESH_MTLS
  }

  private static final String SERVER_ID = "spiffe://bench.local/ns/default/sa/bench";
  private static final String CLIENT_ID = "spiffe://bench.local/ns/default/sa/client";

  private MtlsLoopbackLatency() {}

  public static void main(String[] args) throws Exception {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int perBlock = args.length > 1 ? Integer.parseInt(args[1]) : 5000;

    KeyPair caKeys = ec();
    X509Certificate ca = sign("CN=bench-ca", caKeys, caKeys, null, true);
    X509Identity serverId = workload(SERVER_ID, ca, caKeys);
    X509Identity clientId = workload(CLIENT_ID, ca, caKeys);

    Mesh serverMesh = Mesh.builder().transportSecurity(tls(serverId)).build();
    TransportSecurity server = serverMesh.transportSecurity();
    HttpsServer mtls = serve(server.serverContext());
    SSLContext serverAuthOnly = SSLContext.getInstance("TLS");
    serverAuthOnly.init(
        new KeyManager[] {server.keyManager()}, new TrustManager[] {server.trustManager()}, null);
    HttpsServer tlsOnly = serve(serverAuthOnly);

    MeshTls clientTls = tls(clientId);
    Mesh clientMesh =
        Mesh.builder()
            .source(
                StaticSource.builder()
                    .endpoints(
                        "bench",
                        Endpoint.of("127.0.0.1", mtls.getAddress().getPort())
                            .withIdentity(SERVER_ID))
                    .build())
            .transportSecurity(clientTls)
            .build();
    Map<Arm, AtomicInteger> handshakes = new EnumMap<>(Arm.class);
    Map<Arm, OkHttpClient> clients = new EnumMap<>(Arm.class);
    Map<Arm, String> urls = new EnumMap<>(Arm.class);
    for (Arm arm : Arm.values()) {
      AtomicInteger count = new AtomicInteger();
      handshakes.put(arm, count);
      OkHttpClient.Builder b =
          new OkHttpClient.Builder()
              .eventListener(
                  new EventListener() {
                    @Override
                    public void secureConnectEnd(Call call, Handshake handshake) {
                      count.incrementAndGet();
                    }
                  });
      if (arm == Arm.MESH_MTLS) {
        clients.put(arm, MeshOkHttp.install(b, clientMesh).build());
        urls.put(arm, "http://bench/");
      } else {
        SpiffeId expected = SpiffeId.parse(SERVER_ID);
        clients.put(
            arm,
            b.sslSocketFactory(clientTls.clientSocketFactory(expected), clientTls.trustManager())
                .hostnameVerifier(
                    (host, session) -> {
                      try {
                        return expected.equals(
                            X509Identity.spiffeIdOf(
                                (X509Certificate) session.getPeerCertificates()[0]));
                      } catch (IOException e) {
                        return false;
                      }
                    })
                .build());
        HttpsServer target = arm == Arm.TLS ? tlsOnly : mtls;
        urls.put(arm, "https://127.0.0.1:" + target.getAddress().getPort() + "/");
      }
    }

    for (int round = 0; round < 3; round++) {
      for (Arm arm : Arm.values()) {
        run(clients.get(arm), urls.get(arm), 10_000, null);
      }
    }
    Map<Arm, AtomicInteger> afterWarmUp = new EnumMap<>(Arm.class);
    handshakes.forEach((arm, n) -> afterWarmUp.put(arm, new AtomicInteger(n.get())));

    Map<Arm, long[]> all = new EnumMap<>(Arm.class);
    Map<Arm, long[]> allocated = new EnumMap<>(Arm.class);
    Map<Arm, double[]> p50Ratios = new EnumMap<>(Arm.class);
    Map<Arm, double[]> p99Ratios = new EnumMap<>(Arm.class);
    for (Arm arm : Arm.values()) {
      all.put(arm, new long[blocks * perBlock]);
      allocated.put(arm, new long[1]);
      p50Ratios.put(arm, new double[blocks]);
      p99Ratios.put(arm, new double[blocks]);
    }
    for (int block = 0; block < blocks; block++) {
      Map<Arm, long[]> samples = new EnumMap<>(Arm.class);
      Arm[] order = Arm.values();
      if (block % 2 == 1) {
        List<Arm> reversed = Arrays.asList(order.clone());
        java.util.Collections.reverse(reversed);
        order = reversed.toArray(new Arm[0]);
      }
      for (Arm arm : order) {
        long[] s = new long[perBlock];
        long before = allocatedBytes();
        run(clients.get(arm), urls.get(arm), perBlock, s);
        allocated.get(arm)[0] += allocatedBytes() - before;
        samples.put(arm, s);
        System.arraycopy(s, 0, all.get(arm), block * perBlock, perBlock);
      }
      long[] tls = samples.get(Arm.TLS).clone();
      Arrays.sort(tls);
      for (Arm arm : Arm.values()) {
        long[] s = samples.get(arm).clone();
        Arrays.sort(s);
        p50Ratios.get(arm)[block] = (double) percentile(s, 0.50) / percentile(tls, 0.50);
        p99Ratios.get(arm)[block] = (double) percentile(s, 0.99) / percentile(tls, 0.99);
      }
    }

    System.out.printf(
        "loopback, 1 in flight, %d blocks x %d requests per arm, interleaved%n", blocks, perBlock);
    for (Arm arm : Arm.values()) {
      long[] s = all.get(arm);
      Arrays.sort(s);
      System.out.printf(
          "%-9s p50 %7.1f us  p90 %7.1f us  p99 %8.1f us  alloc %6d B/req  handshakes %d"
              + " (+%d while measured)%n",
          arm,
          percentile(s, 0.50) / 1e3,
          percentile(s, 0.90) / 1e3,
          percentile(s, 0.99) / 1e3,
          allocated.get(arm)[0] / ((long) blocks * perBlock),
          handshakes.get(arm).get(),
          handshakes.get(arm).get() - afterWarmUp.get(arm).get());
    }
    for (Arm arm : List.of(Arm.MTLS, Arm.MESH_MTLS)) {
      System.out.printf(
          "median of per-block ratios %s/TLS: p50 %.3f, p99 %.3f%n",
          arm, median(p50Ratios.get(arm)), median(p99Ratios.get(arm)));
    }
    mtls.stop(0);
    tlsOnly.stop(0);
    clientMesh.close();
    serverMesh.close();
    for (OkHttpClient c : clients.values()) {
      c.dispatcher().executorService().shutdown();
      c.connectionPool().evictAll();
    }
  }

  private static void run(OkHttpClient client, String url, int requests, long[] samples)
      throws IOException {
    Request request = new Request.Builder().url(url).build();
    for (int i = 0; i < requests; i++) {
      long start = System.nanoTime();
      try (Response r = client.newCall(request).execute()) {
        if (r.code() != 200) {
          throw new IOException(url + ": " + r.code());
        }
      }
      if (samples != null) {
        samples[i] = System.nanoTime() - start;
      }
    }
  }

  private static HttpsServer serve(SSLContext context) throws IOException {
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(context));
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.setExecutor(Executors.newSingleThreadExecutor(r -> daemon(r, "bench-server")));
    server.start();
    return server;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static MeshTls tls(X509Identity identity) {
    return MeshTls.builder(
            new IdentitySource() {
              @Override
              public String name() {
                return "bench " + identity.spiffeId();
              }

              @Override
              public void start(Listener listener) {
                listener.identityUpdated(identity);
              }
            })
        .build();
  }

  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
        .getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  private static long percentile(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v[v.length / 2];
  }

  private static X509Identity workload(String spiffeId, X509Certificate ca, KeyPair caKeys)
      throws Exception {
    KeyPair keys = ec();
    X509Certificate leaf = sign("CN=" + spiffeId, keys, caKeys, spiffeId, false);
    return X509Identity.of(List.of(leaf), keys.getPrivate(), List.of(ca));
  }

  private static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate sign(
      String subject, KeyPair keys, KeyPair issuer, String spiffeId, boolean ca) throws Exception {
    Instant now = Instant.now();
    PrivateKey issuerKey = issuer.getPrivate();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(ca ? subject : "CN=bench-ca"),
            BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(Duration.ofMinutes(1))),
            Date.from(now.plus(Duration.ofDays(1))),
            new X500Name(subject.replace("spiffe://", "").replace('/', '_')),
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (spiffeId != null) {
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }
}
