import { Body, Controller, Get, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Public } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { Endpoint } from '../../common/openapi/endpoint.decorator';
import { AuthService } from './auth.service';
import { LoginDto, MeResponseDto, RegisterDto, TokenResponseDto } from './dto/auth.dto';
import { LoginThrottlerGuard } from './guards/login-throttler.guard';

@ApiTags('Auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @Public()
  @UseGuards(LoginThrottlerGuard)
  @Endpoint({
    operationId: 'register',
    summary: 'Create an account and its personal organization; returns a token',
    status: HttpStatus.CREATED,
    type: TokenResponseDto,
    errors: { 400: 'Invalid fields', 409: 'An account with that email exists', 429: 'Too many attempts' },
  })
  register(@Body() dto: RegisterDto): Promise<TokenResponseDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @Public()
  @UseGuards(LoginThrottlerGuard)
  @Endpoint({
    operationId: 'login',
    summary: 'Sign in with email and password; returns a JWT',
    type: TokenResponseDto,
    errors: {
      400: 'Invalid fields',
      401: 'Wrong email or password',
      429: 'Too many attempts from this address, or too many failures from it on this account',
    },
  })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<TokenResponseDto> {
    // An IPv6 client is its /64, as for the per-address limit.
    return this.auth.login(dto, normalizeIp(String(request.ip)));
  }

  @Get('me')
  @Authenticated()
  @Endpoint({
    operationId: 'getMe',
    summary: 'The signed-in user (or the API key owner) and their organizations',
    type: MeResponseDto,
  })
  me(@CurrentPrincipal() principal: Principal): Promise<MeResponseDto> {
    return this.auth.me(principal);
  }
}
