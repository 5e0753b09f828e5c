import 'reflect-metadata';
import { All, Controller, Get, Post, RequestMethod } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import {
  ANTHROPIC_ROUTE_BEHAVIOUR,
  AnthropicRoute,
  declaredRoutes,
  DEFAULT_ROUTE_BEHAVIOUR,
  RouteBehaviour,
  routeBehaviourOf,
} from './route-behaviour';

/** A controller's handler, read off its prototype (as Nest reads it). */
const handlerOf = (controller: abstract new () => unknown, name: string) =>
  Object.getOwnPropertyDescriptor(controller.prototype, name)?.value as object;
const configOf = (controller: abstract new () => unknown, name: string) =>
  Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handlerOf(controller, name)) as
    { routeBehaviour?: unknown; other?: unknown } | undefined;

@AnthropicRoute()
@Controller('example/base')
class ExampleController {
  @Post()
  @RouteBehaviour({ authCache: true })
  hot(): void {}

  @Get(':id')
  plain(): void {}

  @All('*')
  rest(): void {}

  /** Not a route: left alone. */
  helper(): void {}
}

@Controller('example/mixed')
class MixedController {
  @Get()
  @RouteBehaviour({ logging: 'failures' })
  quiet(): void {}

  @Get('loud')
  loud(): void {}
}

describe('RouteBehaviour', () => {
  it("writes the controller's declaration, then the handler's, into each route's Fastify config", () => {
    expect(configOf(ExampleController, 'hot')?.routeBehaviour).toEqual({
      ...ANTHROPIC_ROUTE_BEHAVIOUR,
      authCache: true,
    });
    expect(configOf(ExampleController, 'plain')?.routeBehaviour).toEqual(ANTHROPIC_ROUTE_BEHAVIOUR);
    expect(configOf(ExampleController, 'helper')).toBeUndefined();
    expect(configOf(MixedController, 'quiet')?.routeBehaviour).toEqual({
      ...DEFAULT_ROUTE_BEHAVIOUR,
      logging: 'failures',
    });
    expect(configOf(MixedController, 'loud')).toBeUndefined();
  });

  it('keeps route config written by others', () => {
    class Other {
      @Get()
      @RouteBehaviour({ errors: 'anthropic' })
      handler(): void {}
    }
    Reflect.defineMetadata(
      FASTIFY_ROUTE_CONFIG_METADATA,
      { other: 1, ...configOf(Other, 'handler') },
      handlerOf(Other, 'handler'),
    );
    RouteBehaviour({ logging: 'failures' })(Other);
    expect(configOf(Other, 'handler')).toEqual({
      other: 1,
      routeBehaviour: { ...DEFAULT_ROUTE_BEHAVIOUR, errors: 'anthropic', logging: 'failures' },
    });
  });

  it('lists the declared routes a predicate picks, as Nest middleware paths (the wildcard in its syntax)', () => {
    const quiet = declaredRoutes((behaviour) => behaviour.logging === 'failures').filter((route) =>
      route.path.startsWith('example/'),
    );
    expect(quiet).toEqual(
      expect.arrayContaining([
        { path: 'example/base', method: RequestMethod.POST },
        { path: 'example/base/:id', method: RequestMethod.GET },
        { path: 'example/base/{*path}', method: RequestMethod.ALL },
        { path: 'example/mixed', method: RequestMethod.GET },
      ]),
    );
    expect(quiet).toHaveLength(4);
    expect(
      declaredRoutes((behaviour) => behaviour.authCache).filter((route) => route.path.startsWith('example/')),
    ).toEqual([{ path: 'example/base', method: RequestMethod.POST }]);
  });

  it('reads a request’s behaviour from its route, and the default for a request that matched none', () => {
    const routed = {
      routeOptions: { config: { routeBehaviour: ANTHROPIC_ROUTE_BEHAVIOUR } },
    } as unknown as FastifyRequest;
    const unrouted = { routeOptions: { config: {} } } as unknown as FastifyRequest;
    expect(routeBehaviourOf(routed)).toBe(ANTHROPIC_ROUTE_BEHAVIOUR);
    expect(routeBehaviourOf(unrouted)).toBe(DEFAULT_ROUTE_BEHAVIOUR);
  });
});
