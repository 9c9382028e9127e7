// Imported first by colour tests: chalk decides its colour level when it loads.
process.env.FORCE_COLOR = '1';
