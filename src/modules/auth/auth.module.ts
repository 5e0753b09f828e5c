import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { normalizeIp, ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { ConsoleSessionController } from './console-session.controller';
import { AccessGuard } from './guards/access.guard';
import { LoginThrottlerGuard } from './guards/login-throttler.guard';
import { LoginAttempts } from './login-attempts.service';
import { PasswordHasher } from './password-hasher.service';
import { ApiKeyStrategy } from './strategies/api-key.strategy';
import { JwtStrategy } from './strategies/jwt.strategy';

@Module({
  imports: [
    PassportModule.register({ session: false }),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.jwt.secret,
        signOptions: {
          algorithm: 'HS256',
          expiresIn: config.jwt.ttlSeconds,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        },
        verifyOptions: { algorithms: ['HS256'], issuer: config.jwt.issuer, audience: config.jwt.audience },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          {
            name: 'per-address',
            ttl: config.loginRateLimit.windowSeconds * 1000,
            limit: config.loginRateLimit.perIp,
            // An IPv6 client is its /64 (one host or customer), else rotating addresses escapes the limit.
            getTracker: (request: Record<string, unknown>) => normalizeIp(String(request.ip)),
          },
        ],
      }),
    }),
    UsersModule,
    OrganizationsModule,
    ApiKeysModule,
  ],
  controllers: [AuthController, ConsoleSessionController],
  providers: [
    AuthService,
    PasswordHasher,
    JwtStrategy,
    ApiKeyStrategy,
    LoginThrottlerGuard,
    LoginAttempts,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
})
export class AuthModule {}
