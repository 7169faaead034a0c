using System.CommandLine;
using TokenOps.Gateway;
using TokenOps.Storage.Import;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

/// <summary>`tokenops import claude-code|codex|openai-usage|anthropic-usage`: offline usage into the ledger.</summary>
internal static class ImportCommand
{
    public static Command Create() => new("import", "Import usage recorded elsewhere (agent logs, provider exports) into the ledger; idempotent and incremental")
    {
        Logs("claude-code", "Claude Code logs (default: $CLAUDE_CONFIG_DIR, comma-separated, else ~/.config/claude and ~/.claude; projects/**/*.jsonl)", claude: true),
        Logs("codex", "Codex CLI session logs (default: $CODEX_HOME/sessions, else ~/.codex/sessions)", claude: false),
        Export("openai-usage", "openai", "An OpenAI Admin API export: /v1/organization/usage/completions or /v1/organization/costs JSON pages"),
        Export("anthropic-usage", "anthropic", "An Anthropic Admin API export: usage_report/messages or cost_report JSON pages"),
    };

    private static Command Logs(string name, string description, bool claude)
    {
        var dirs = new Argument<string[]>("dir") { Description = "Log directories (a Claude config dir, or its projects/ folder; a Codex sessions folder)", Arity = ArgumentArity.ZeroOrMore };
        var person = Person();
        var (team, teamMap) = (TeamOption(), TeamMapOption());
        var to = new Option<string?>("--to") { Description = "Send the usage to this TokenOps gateway (POST /v1/tokenops/usage) instead of the local ledger" };
        var key = new Option<string?>("--key") { Description = "Your virtual key for --to (default: $TOKENOPS_API_KEY); the gateway attributes the usage to its person and team" };
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var command = new Command(name, description) { dirs, person, team, teamMap, to, key, data, config };
        command.SetAction(parse =>
        {
            var given = parse.GetValue(dirs) ?? [];
            var roots = claude ? LogLocations.ClaudeRoots(given) : LogLocations.CodexRoots(given);
            if (roots.Count == 0) throw new CliException($"no {name} logs found{(given.Length > 0 ? " in " + string.Join(", ", given) : " in the default locations")}");
            var files = claude ? LogLocations.ClaudeFiles(roots) : LogLocations.CodexFiles(roots);
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            if (parse.GetValue(to) is { } url)
            {
                var secret = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("TOKENOPS_API_KEY")
                    ?? throw new CliException("--to needs your virtual key: --key tok_… or TOKENOPS_API_KEY", 2);
                var endpoint = UsageUploader.Endpoint(url);
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
                var uploader = new UsageUploader(endpoint, secret, http);
                // Person and team come from the key at the gateway; offsets are kept per gateway, apart from local imports.
                var pusher = new LedgerImporter(uploader, storage.ImportState, Catalog(parse.GetValue(data), parse.GetValue(config)), "-")
                {
                    ProgressScope = endpoint.GetLeftPart(UriPartial.Path),
                };
                var sent = claude ? pusher.ImportClaude(files) : pusher.ImportCodex(files);
                Print(name, sent);
                Console.WriteLine($"sent to {endpoint.GetLeftPart(UriPartial.Authority)}: {sent.Added} new, {uploader.Duplicates} already there, {uploader.Rejected} rejected");
                foreach (var reason in uploader.Reasons) Console.WriteLine("  rejected " + reason);
                return 0;
            }
            var who = parse.GetValue(person) ?? Environment.UserName;
            var teamOf = ImportTeams.Resolve(storage.Keys, who, parse.GetValue(teamMap), parse.GetValue(team));
            var importer = new LedgerImporter(new LedgerSink(storage.Ledger), storage.ImportState, Catalog(parse.GetValue(data), parse.GetValue(config)), who, team: teamOf);
            var summary = claude ? importer.ImportClaude(files) : importer.ImportCodex(files);
            Print(name, summary);
            return 0;
        });
        return command;
    }

    private static Command Export(string name, string provider, string description)
    {
        var file = new Argument<string[]>("file") { Description = "JSON file(s): a page, an array of pages, or one page per line", Arity = ArgumentArity.OneOrMore };
        var person = new Option<string?>("--person") { Description = "Person to attribute the rows to (default none: provider exports are organisation-wide)" };
        var (team, teamMap) = (TeamOption(), TeamMapOption());
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var command = new Command(name, description) { file, person, team, teamMap, data, config };
        command.SetAction(parse =>
        {
            using var storage = CommonOptions.OpenStorage(parse.GetValue(data), parse.GetValue(config));
            var who = parse.GetValue(person);
            var teamOf = ImportTeams.Resolve(storage.Keys, who, parse.GetValue(teamMap), parse.GetValue(team));
            var importer = new ProviderExportImporter(storage.Ledger, Catalog(parse.GetValue(data), parse.GetValue(config)), who, teamOf);
            foreach (var path in parse.GetValue(file) ?? []) Print(name, importer.Import(path, provider));
            return 0;
        });
        return command;
    }

    /// <summary>The prices in force for the data directory (the newest `prices update`, else bundled), as the gateway prices.</summary>
    internal static TokenOps.Core.Pricing.PriceCatalog Catalog(string? data, string? config)
    {
        var options = TokenOps.Gateway.Configuration.ConfigurationLoader.Load(config);
        return TokenOps.Gateway.Pricing.ActiveCatalog.Load(data ?? options.DataDirectory).Catalog;
    }

    private static Option<string?> TeamOption() => new("--team") { Description = "Team of the imported rows when the person is not in the people table or the --team-map file" };

    private static Option<string?> TeamMapOption() => new("--team-map") { Description = "A file of person,team lines (CSV; # comments) for people not in the people table" };

    private static Option<string?> Person() => new("--person") { Description = "Person the usage belongs to (default: the local user)" };

    private static void Print(string name, ImportSummary s)
    {
        Console.WriteLine($"{name}: {s.Files} file(s) ({s.FilesUnchanged} unchanged), {s.Lines} new line(s) read, {s.Added} row(s) added or completed, {s.Duplicates} duplicate(s) merged, {s.Skipped.Count} line(s) skipped");
        if (s.Skipped.Summary() is { } skipped) Console.WriteLine(skipped);
    }
}
