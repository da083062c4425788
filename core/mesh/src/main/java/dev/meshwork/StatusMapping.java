package dev.meshwork;

/**
 * How an HTTP status and a gRPC status code stand for each other, for faults given in one of them
 * and injected into calls of the other kind.
 */
final class StatusMapping {

  private StatusMapping() {}

  /** The gRPC code for an HTTP status, as gRPC maps statuses of non-gRPC responses. */
  static int grpcCodeFor(int httpStatus) {
    switch (httpStatus) {
      case 400:
        return 13; // INTERNAL
      case 401:
        return 16; // UNAUTHENTICATED
      case 403:
        return 7; // PERMISSION_DENIED
      case 404:
        return 12; // UNIMPLEMENTED
      case 429:
      case 502:
      case 503:
      case 504:
        return 14; // UNAVAILABLE
      default:
        return 2; // UNKNOWN
    }
  }

  /** The HTTP status for a gRPC code, as gRPC-to-HTTP gateways (Envoy) map them. */
  static int httpStatusFor(int grpcCode) {
    switch (grpcCode) {
      case 1:
        return 499;
      case 3:
      case 9:
      case 11:
        return 400;
      case 4:
        return 504;
      case 5:
        return 404;
      case 6:
      case 10:
        return 409;
      case 7:
        return 403;
      case 8:
        return 429;
      case 12:
        return 501;
      case 14:
        return 503;
      case 16:
        return 401;
      default:
        return 500;
    }
  }
}
