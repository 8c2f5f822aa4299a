package com.example;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A small HTTP service: GET / answers its name and version as JSON; --version prints the same. */
public final class App {
  private App() {}

  /** The version Maven wrote into the jar's manifest (-Drevision=…), or "dev" outside a jar. */
  static String version() {
    String v = App.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  static String greeting(String name, String version) {
    return "{\"message\":\"Hello, " + name + "!\",\"version\":\"" + version + "\",\"runtime\":\"java "
        + Runtime.version().feature() + "\"}";
  }

  public static void main(String[] args) throws IOException {
    if (args.length > 0 && args[0].equals("--version")) {
      System.out.println(greeting("world", version()));
      return;
    }
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/", exchange -> {
      byte[] body = greeting("world", version()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    System.out.println("listening on :" + port);
  }
}
