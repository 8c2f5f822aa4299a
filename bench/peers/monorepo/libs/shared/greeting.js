// The shared library two services copy.
exports.greet = (name) => `Hello, ${name}!`;
