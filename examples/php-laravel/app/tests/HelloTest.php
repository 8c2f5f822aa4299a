<?php

declare(strict_types=1);

use Acme\Testkit\TestCase;
use App\Http\Controllers\HelloController;

final class HelloTest extends TestCase
{
    public function testGreetsByName(): void
    {
        $this->assertSame('Hello, ops!', (new HelloController())->show('ops')['message']);
    }

    public function testRoutesAnswerHealth(): void
    {
        $routes = require __DIR__ . '/../routes/web.php';
        $this->assertSame(['status' => 'ok'], $routes['/health']());
    }
}
