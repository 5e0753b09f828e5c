import 'reflect-metadata';
import { loadAppConfig } from '../config/app-config';
import { createOrmOptions } from './orm-options';

/** For the MikroORM CLI, which needs DATABASE_URL (the app can start an embedded server instead). */
const config = loadAppConfig();
if (!config.databaseUrl) throw new Error('DATABASE_URL must be set to run MikroORM CLI commands');

export default createOrmOptions(config.databaseUrl, { allowGlobalContext: true });
