<?php

declare(strict_types=1);

use App\Http\Controllers\HelloController;

/** Path → handler, as a Laravel routes file maps them. */
return [
    '/' => fn (): array => (new HelloController())->show(),
    '/health' => fn (): array => ['status' => 'ok'],
];
