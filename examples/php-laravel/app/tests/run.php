<?php

declare(strict_types=1);

require __DIR__ . '/../vendor/autoload.php';
require __DIR__ . '/HelloTest.php';

exit(Acme\Testkit\TestCase::run([HelloTest::class]));
