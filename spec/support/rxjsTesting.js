// `rxjs/testing` from the same one-file bundle as `rxjs` (jest.config.js maps both): one TestScheduler class, one Observable
module.exports = require('rxjs').testing;
