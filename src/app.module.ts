import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { CommonModule } from './common/common.module';
import { ProblemFilter } from './common/errors/problem.filter';
import { createLoggerOptions, type LogDestination } from './common/http/logging';
import { DatabaseModule, type DatabaseConnection } from './database/database.module';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { ApiKeysModule } from './modules/api-keys/api-keys.module';
import { AuthModule } from './modules/auth/auth.module';
import { ConsoleModule } from './modules/console/console.module';
import { HealthModule } from './modules/health/health.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { OrganizationsModule } from './modules/organizations/organizations.module';
import { PricingModule } from './modules/pricing/pricing.module';
import { ProviderKeysModule } from './modules/provider-keys/provider-keys.module';
import { ProxyModule } from './modules/proxy/proxy.module';
import { RecordingModule } from './modules/recording/recording.module';
import { RetentionModule } from './modules/retention/retention.module';
import { SessionsModule } from './modules/sessions/sessions.module';
import { SpendLimitsModule } from './modules/spend-limits/spend-limits.module';
import { SharingModule } from './modules/sharing/sharing.module';
import { TasksModule } from './modules/tasks/tasks.module';
import { UsersModule } from './modules/users/users.module';

export interface AppModuleOptions {
  config: AppConfig;
  database: DatabaseConnection;
  logDestination?: LogDestination;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        LoggerModule.forRoot(createLoggerOptions(options.config, options.logDestination)),
        CommonModule,
        DatabaseModule.forRoot(options.database),
        HealthModule,
        MetricsModule,
        UsersModule,
        AuthModule,
        OrganizationsModule,
        ApiKeysModule,
        ProviderKeysModule,
        SessionsModule,
        RecordingModule,
        ProxyModule,
        TasksModule,
        AnalyticsModule,
        PricingModule,
        SharingModule,
        ConsoleModule,
        SpendLimitsModule,
        RetentionModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    };
  }
}
