using TokenOps.Cli;

return await Cli.RunAsync(args);
