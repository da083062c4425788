package dev.meshwork;

/**
 * One known service as the request path sees it: its compiled routes (the last one takes every
 * request) and its retry budget. Built on the control thread; immutable.
 */
final class ServiceRouting {

  final ServiceName service;
  final ServiceConfig config;
  final CompiledRoute[] routes;
  final RetryBudget budget;

  ServiceRouting(
      ServiceName service, ServiceConfig config, CompiledRoute[] routes, RetryBudget budget) {
    this.service = service;
    this.config = config;
    this.routes = routes;
    this.budget = budget;
  }

  CompiledRoute select(MeshRequest request) {
    int last = routes.length - 1;
    for (int i = 0; i < last; i++) {
      if (routes[i].route.matches(request)) {
        return routes[i];
      }
    }
    return routes[last];
  }
}
