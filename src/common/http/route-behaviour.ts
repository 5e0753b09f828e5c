import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';

/**
 * What a route does beyond its handler, declared on its controller or handler with
 * `@RouteBehaviour()` (or `@AnthropicRoute()`) instead of being inferred from its URL.
 */
export interface RouteBehaviourOptions {
  /** The shape of its errors: RFC 9457 problem+json, or Anthropic's, so Anthropic SDKs raise their typed errors. */
  errors: 'problem' | 'anthropic';
  /** Whether a platform key (`lmp_…`) is also taken from `x-api-key`, where Anthropic SDKs send their API key. */
  platformKeyInXApiKey: boolean;
  /** Whether a platform key may be answered from the per-instance cache that every key change empties (the hot path). */
  authCache: boolean;
  /**
   * `request`: a log line per request. `failures`: none; the route records its calls itself
   * (as interactions), and only its refusals and failures get a warn line.
   */
  logging: 'request' | 'failures';
  /** Whether a JSON body is held to JSON_MAX_DEPTH before validation (a body forwarded untouched is not). */
  limitJsonDepth: boolean;
}

/**
 * The behaviour of every route that declares none, and of a request that matched no route at all
 * (Fastify's not-found handler, or an error raised before routing): the one fallback.
 */
export const DEFAULT_ROUTE_BEHAVIOUR: Readonly<RouteBehaviourOptions> = Object.freeze({
  errors: 'problem',
  platformKeyInXApiKey: false,
  authCache: false,
  logging: 'request',
  limitJsonDepth: true,
});

/** The routes of the Anthropic API that Lamplight serves under its base URL. */
export const ANTHROPIC_ROUTE_BEHAVIOUR: Readonly<RouteBehaviourOptions> = Object.freeze({
  errors: 'anthropic',
  platformKeyInXApiKey: true,
  authCache: false,
  logging: 'failures',
  limitJsonDepth: false,
});

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Written by `@RouteBehaviour()`; read with `routeBehaviourOf()`. */
    routeBehaviour?: Readonly<RouteBehaviourOptions>;
  }
}

const DECLARED = 'lamplight:route-behaviour';

type Handler = (...args: never[]) => unknown;

/** Controllers with a declared behaviour, for what is configured at boot (the request logger's exclusions). */
const declaringControllers = new Set<new (...args: never[]) => unknown>();

function isRouteHandler(value: unknown): value is Handler {
  return typeof value === 'function' && Reflect.getMetadata(PATH_METADATA, value) !== undefined;
}

/**
 * Writes a handler's behaviour (the controller's declaration, then its own) into its Fastify route
 * config, which Nest hands Fastify when it registers the route: Fastify hooks, the guard, the
 * strategies and the exception filter then all read it from the request, with no URL matching.
 */
function writeRouteConfig(controller: object, handler: Handler): void {
  const behaviour: RouteBehaviourOptions = {
    ...DEFAULT_ROUTE_BEHAVIOUR,
    ...(Reflect.getMetadata(DECLARED, controller) as Partial<RouteBehaviourOptions> | undefined),
    ...(Reflect.getMetadata(DECLARED, handler) as Partial<RouteBehaviourOptions> | undefined),
  };
  const config =
    (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as Record<string, unknown> | undefined) ?? {};
  Reflect.defineMetadata(
    FASTIFY_ROUTE_CONFIG_METADATA,
    { ...config, routeBehaviour: Object.freeze(behaviour) },
    handler,
  );
}

function routeHandlersOf(controller: new (...args: never[]) => unknown): Handler[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor')
    .map((name): unknown => Object.getOwnPropertyDescriptor(prototype, name)?.value)
    .filter(isRouteHandler);
}

/**
 * Declares how a controller's routes (on the class) or one route (on a handler, over its
 * controller's declaration) behave. Anything not declared is DEFAULT_ROUTE_BEHAVIOUR.
 */
export function RouteBehaviour(declared: Partial<RouteBehaviourOptions>): ClassDecorator & MethodDecorator {
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      const handler = descriptor.value as Handler;
      const controller = target.constructor as new (...args: never[]) => unknown;
      Reflect.defineMetadata(
        DECLARED,
        { ...(Reflect.getMetadata(DECLARED, handler) as object | undefined), ...declared },
        handler,
      );
      writeRouteConfig(controller, handler);
      declaringControllers.add(controller);
      return descriptor;
    }
    // Class decorators run after the handlers' own decorators: every handler is known by now.
    const controller = target as new (...args: never[]) => unknown;
    Reflect.defineMetadata(
      DECLARED,
      { ...(Reflect.getMetadata(DECLARED, controller) as object | undefined), ...declared },
      controller,
    );
    for (const handler of routeHandlersOf(controller)) writeRouteConfig(controller, handler);
    declaringControllers.add(controller);
    return undefined;
  }) as ClassDecorator & MethodDecorator;
}

/** A route of the Anthropic API: Anthropic's error shape, `x-api-key` platform keys, no request log line, bodies untouched. */
export const AnthropicRoute = (overrides: Partial<RouteBehaviourOptions> = {}) =>
  RouteBehaviour({ ...ANTHROPIC_ROUTE_BEHAVIOUR, ...overrides });

/** How the route a request matched behaves; DEFAULT_ROUTE_BEHAVIOUR when it matched none. */
export function routeBehaviourOf(request: FastifyRequest): Readonly<RouteBehaviourOptions> {
  return request.routeOptions.config?.routeBehaviour ?? DEFAULT_ROUTE_BEHAVIOUR;
}

/** A route as Nest middleware configuration names it. */
export interface DeclaredRoute {
  path: string;
  method: RequestMethod;
}

function joinPaths(...parts: string[]): string {
  return parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part.length > 0)
    .join('/');
}

function pathsOf(target: object): string[] {
  const path = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
  return path === undefined ? [''] : Array.isArray(path) ? path : [path];
}

/**
 * The routes that declared a behaviour matching `predicate`, as Nest middleware names routes
 * (the request logger is Nest middleware, configured at boot from these).
 */
export function declaredRoutes(predicate: (behaviour: Readonly<RouteBehaviourOptions>) => boolean): DeclaredRoute[] {
  const routes: DeclaredRoute[] = [];
  for (const controller of declaringControllers) {
    for (const handler of routeHandlersOf(controller)) {
      const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as
        { routeBehaviour?: RouteBehaviourOptions } | undefined;
      if (!config?.routeBehaviour || !predicate(config.routeBehaviour)) continue;
      const method = (Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined) ?? RequestMethod.GET;
      for (const base of pathsOf(controller)) {
        // Fastify's wildcard (`*`) is written `{*path}` in the path syntax of Nest middleware.
        for (const path of pathsOf(handler))
          routes.push({ path: joinPaths(base, path).replace(/(^|\/)\*$/, '$1{*path}'), method });
      }
    }
  }
  return routes;
}
