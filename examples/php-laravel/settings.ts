/**
 * The php-laravel image (seed 003's PHP/Laravel app): dev builds `dev` (PHP's CLI, Composer,
 * every dependency and the app), production the PHP-FPM stage with the production
 * dependencies and the app's code, after `test` passes.
 */
import * as path from "path";
import type { ExampleSettings } from "../types";

export const settings: ExampleSettings = {
  args: {
    context: path.join(__dirname, "app"),
    buildArgs: { APP_VERSION: "1.0.0" },
  },
  // Offline stand-ins: Debian bookworm's PHP 8.2 with Composer, and PHP-FPM on busybox.
  localBaseImages: { COMPOSER_IMAGE: "multistage-local/composer:2", PHP_IMAGE: "multistage-local/php:8.2-fpm-slim" },
};
