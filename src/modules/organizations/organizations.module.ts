import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { Membership } from './membership.entity';
import { Organization } from './organization.entity';
import { OrganizationsController } from './organizations.controller';
import { ModelPolicyService } from './model-policy.service';
import { OrganizationsService } from './organizations.service';

@Module({
  imports: [MikroOrmModule.forFeature([Organization, Membership]), UsersModule],
  controllers: [OrganizationsController],
  providers: [OrganizationsService, ModelPolicyService],
  exports: [OrganizationsService, ModelPolicyService],
})
export class OrganizationsModule {}
