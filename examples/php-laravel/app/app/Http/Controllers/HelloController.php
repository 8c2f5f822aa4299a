<?php

declare(strict_types=1);

namespace App\Http\Controllers;

use Acme\Greeting\Greeter;

final class HelloController
{
    public function __construct(private readonly Greeter $greeter = new Greeter())
    {
    }

    /** @return array{message: string, version: string, php: string} */
    public function show(string $name = 'world'): array
    {
        return [
            'message' => $this->greeter->greet($name),
            'version' => getenv('APP_VERSION') ?: 'dev',
            'php' => PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION,
        ];
    }
}
