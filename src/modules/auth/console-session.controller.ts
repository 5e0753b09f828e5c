import { Body, Controller, HttpStatus, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/decorators';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { AuthService } from './auth.service';
import { LoginDto, RegisterDto, type TokenResponseDto } from './dto/auth.dto';
import { ConsoleSessionResponseDto } from './dto/console-session.dto';
import { LoginThrottlerGuard } from './guards/login-throttler.guard';
import { assertSameSiteIntent, CSRF_HEADER, writeSessionCookie } from './session-cookie';

const CSRF_DOC = {
  name: CSRF_HEADER,
  required: true,
  description: 'Any value; proves the request comes from a page of this origin',
  example: '1',
};

/**
 * Sign-in for the browser console: the JWT goes into an httpOnly, SameSite=Strict cookie (Secure
 * over TLS) instead of the body, so no script on the page can read it. Bearer tokens and API keys
 * work as before; see docs/security.md for the CSRF rule.
 */
@ApiTags('Auth')
@Controller('api/v1/auth/cookie')
export class ConsoleSessionController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Public()
  @UseGuards(LoginThrottlerGuard)
  @ApiHeader(CSRF_DOC)
  @Endpoint({
    operationId: 'registerWithCookie',
    summary: 'Create an account and its personal organization; opens a cookie session for the console',
    status: HttpStatus.CREATED,
    type: ConsoleSessionResponseDto,
    errors: {
      400: 'Invalid fields',
      403: 'The CSRF header is missing or the origin is another site',
      409: 'An account with that email exists',
      429: 'Too many attempts',
    },
  })
  async register(
    @Body() dto: RegisterDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConsoleSessionResponseDto> {
    assertSameSiteIntent(request);
    return this.open(await this.auth.register(dto), request, reply);
  }

  @Post('login')
  @Public()
  @UseGuards(LoginThrottlerGuard)
  @ApiHeader(CSRF_DOC)
  @Endpoint({
    operationId: 'loginWithCookie',
    summary: 'Sign in with email and password; opens a cookie session for the console',
    type: ConsoleSessionResponseDto,
    errors: {
      400: 'Invalid fields',
      401: 'Wrong email or password',
      403: 'The CSRF header is missing or the origin is another site',
      429: 'Too many attempts from this address, or too many failures from it on this account',
    },
  })
  async login(
    @Body() dto: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConsoleSessionResponseDto> {
    assertSameSiteIntent(request);
    return this.open(await this.auth.login(dto, normalizeIp(String(request.ip))), request, reply);
  }

  @Post('logout')
  @Public()
  @ApiHeader(CSRF_DOC)
  @Endpoint({
    operationId: 'logoutCookie',
    summary: 'Sign out of the console: clears the session cookie',
    status: HttpStatus.NO_CONTENT,
    errors: { 403: 'The CSRF header is missing or the origin is another site' },
  })
  logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    assertSameSiteIntent(request);
    writeSessionCookie(reply, request, null, 0);
  }

  private open(token: TokenResponseDto, request: FastifyRequest, reply: FastifyReply): ConsoleSessionResponseDto {
    writeSessionCookie(reply, request, token.accessToken, token.expiresIn);
    return { user: token.user, expiresIn: token.expiresIn };
  }
}
