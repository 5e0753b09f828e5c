import { Body, Controller, Get, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal, Public } from '../../common/auth/decorators';
import type { Principal } from '../../common/auth/principal';
import { ProblemDto } from '../../common/openapi/problem.dto';
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
  @ApiOperation({
    operationId: 'register',
    summary: 'Create an account and its personal organization; returns a token',
  })
  @ApiConflictResponse({ description: 'An account with that email exists', type: ProblemDto })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts from this address', type: ProblemDto })
  register(@Body() dto: RegisterDto): Promise<TokenResponseDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @Public()
  @HttpCode(HttpStatus.OK)
  @UseGuards(LoginThrottlerGuard)
  @ApiOperation({ operationId: 'login', summary: 'Sign in with email and password; returns a JWT' })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password', type: ProblemDto })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this account or address', type: ProblemDto })
  login(@Body() dto: LoginDto): Promise<TokenResponseDto> {
    return this.auth.login(dto);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ operationId: 'getMe', summary: 'The signed-in user (or API key owner) and their organizations' })
  me(@CurrentPrincipal() principal: Principal): Promise<MeResponseDto> {
    return this.auth.me(principal);
  }
}
