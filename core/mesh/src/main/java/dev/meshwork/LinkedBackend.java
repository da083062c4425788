package dev.meshwork;

/** A route's backend with the endpoints and balancer it resolves to in one snapshot. */
final class LinkedBackend {

  final Backend backend;
  final String name;
  final EndpointSet endpoints;
  final Balancer balancer;

  LinkedBackend(Backend backend, EndpointSet endpoints, Balancer balancer) {
    this.backend = backend;
    this.name = backend.name();
    this.endpoints = endpoints;
    this.balancer = balancer;
  }
}
