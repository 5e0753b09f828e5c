import { UserResponseDto } from './auth.dto';

/** A browser session opened: the cookie carries the token, which this body never shows. */
export class ConsoleSessionResponseDto {
  user: UserResponseDto;
  /** Seconds until the session cookie expires and the console asks to sign in again. @example 3600 */
  expiresIn: number;
}
