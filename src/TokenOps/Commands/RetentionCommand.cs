using System.CommandLine;
using System.Globalization;
using TokenOps.Gateway.Configuration;
using TokenOps.Storage.Retention;

namespace TokenOps.Cli.Commands;

/// <summary>`tokenops retention run [--dry-run]`: export then purge ledger detail older than retention.ledgerDays now.</summary>
internal static class RetentionCommand
{
    public static Command Create()
    {
        var (data, config) = (CommonOptions.Data(), CommonOptions.Config());
        var dryRun = new Option<bool>("--dry-run") { Description = "Count the rows due; export and delete nothing" };
        var run = new Command("run", "Export ledger rows older than retention.ledgerDays to gzipped CSV, then delete them (rollups are kept)") { dryRun, data, config };
        run.SetAction(parse =>
        {
            var options = ConfigurationLoader.Load(parse.GetValue(config));
            if (options.Retention.LedgerDays is not { } days)
                throw new CliException("retention.ledgerDays is not set in tokenops.json (--config): every ledger row is kept", 2);
            var dataDirectory = parse.GetValue(data) ?? options.DataDirectory;
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var runner = new LedgerRetentionRunner(storage.Ledger, storage.Retention, TimeProvider.System);
            var result = runner.Run(days, options.Retention.ExportPath(dataDirectory), parse.GetValue(dryRun));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Retention {days} days: {result.Due} ledger rows started before {result.Cutoff:yyyy-MM-dd}."));
            if (result.ExportFile is { } file) Console.WriteLine($"Exported to {file}; purged {result.Purged} rows (rollups kept).");
            if (result.Note is { } note) Console.WriteLine(note);
            return 0;
        });
        return new Command("retention", "Ledger detail retention (retention.ledgerDays in tokenops.json)") { run };
    }
}
