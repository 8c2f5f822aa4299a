<?php

declare(strict_types=1);

// The front controller PHP-FPM runs for every request (Laravel's public/index.php).
require __DIR__ . '/../vendor/autoload.php';

$routes = require __DIR__ . '/../routes/web.php';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$handler = $routes[$path] ?? null;

if (PHP_SAPI !== 'cli') {
    header('Content-Type: application/json');
    http_response_code($handler === null ? 404 : 200);
}
echo json_encode($handler === null ? ['error' => 'not found'] : $handler()), "\n";
