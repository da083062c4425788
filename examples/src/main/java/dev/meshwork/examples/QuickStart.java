package dev.meshwork.examples;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.StaticSource;
import dev.meshwork.okhttp.MeshOkHttp;
import java.io.IOException;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** The README's quick start, as a program: {@link #call} is the snippet. */
public final class QuickStart {

  private QuickStart() {}

  /** Routes one request to {@code http://reviews/} across two versions, 90/10. */
  static String call(Endpoint v1, Endpoint v2) throws IOException {
    Mesh mesh =
        Mesh.builder()
            .source(
                StaticSource.builder()
                    .endpoints("reviews-v1", v1)
                    .endpoints("reviews-v2", v2)
                    .service(
                        ServiceConfig.builder("reviews")
                            .route(
                                Route.to(
                                    Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                            .timeout(Duration.ofSeconds(2))
                            .build())
                    .build())
            .build();

    OkHttpClient client = MeshOkHttp.install(new OkHttpClient.Builder(), mesh).build();

    try (Response response =
        client.newCall(new Request.Builder().url("http://reviews/books/1").build()).execute()) {
      return response.body().string();
    } finally {
      mesh.close();
    }
  }

  public static void main(String[] args) throws Exception {
    try (DemoBackend v1 = new DemoBackend("reviews-v1", 0, 0);
        DemoBackend v2 = new DemoBackend("reviews-v2", 0, 0)) {
      System.out.println("answered by " + call(v1.endpoint(), v2.endpoint()));
    }
  }
}
