using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using TokenOps.Cli.Demo;
using TokenOps.Core.Pricing;
using TokenOps.Cli.Simulation;
using TokenOps.Gateway;
using TokenOps.Gateway.Alerts;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Configuration;
using TokenOps.Simulator;
using TokenOps.Core.Ledger;
using TokenOps.Storage;

namespace TokenOps.Cli.Commands;

internal static class DemoCommand
{
    private const string Marker = "tokenops-demo.marker";

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory for the demo's ledger (recreated on each run)", DefaultValueFactory = _ => ".tokenops-demo" };
        var urls = new Option<string>("--urls") { Description = "Address for the gateway", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var days = new Option<int>("--days") { Description = "Days of organisation history to simulate", DefaultValueFactory = _ => 28 };
        var exit = new Option<bool>("--exit") { Description = "Stop the gateway after the summary instead of leaving it running" };
        var command = new Command("demo", "Simulate weeks of an organisation's AI traffic through the real gateway and print who spent what") { data, urls, days, exit };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = parse.GetValue(data)!;
            var dayCount = parse.GetValue(days);
            if (dayCount is < 1 or > 120) throw new CliException("--days must be between 1 and 120", 2);
            PrepareDirectory(dir);
            var clock = new DemoClock();
            var options = new GatewayOptions { DataDirectory = dir };
            DemoPolicy.Apply(options);
            // Secrets for this process only: the admin token (dashboard, admin API) and the GitHub webhook secret.
            var adminToken = "tokadm_" + Base64Url(RandomNumberGenerator.GetBytes(24));
            var webhookSecret = Base64Url(RandomNumberGenerator.GetBytes(24));
            Environment.SetEnvironmentVariable(options.AdminTokenEnv, adminToken);
            Environment.SetEnvironmentVariable(options.Outcomes.GitHubSecretEnv, webhookSecret);
            var firstDay = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-dayCount), TimeSpan.Zero);
            // The clock starts at the simulated beginning, so budget periods, alerts and poker weeks open there, not today.
            clock.JumpTo(firstDay);
            Console.WriteLine("Starting the simulated provider and the gateway on loopback…");
            await using var simulator = await SimulatedProvider.StartAsync(new SimulatorOptions { TimeProvider = clock }, cancellationToken);
            await using var gateway = await GatewayHost.StartAsync(new GatewaySettings
            {
                Options = options,
                Urls = [parse.GetValue(urls)!],
                SimulatorUrl = simulator.Url,
                Time = clock,
                // Soft-budget overruns are logged per request; the demo counts them from the ledger instead.
                ConfigureLogging = logging => logging.AddFilter(typeof(AdmitStage).FullName, LogLevel.Error),
            }, cancellationToken);

            var keyStore = gateway.Services.GetRequiredService<IKeyStore>();
            var keys = DemoOrganisation.People.ToDictionary(h => h.Person, h => keyStore.Create(h.Person, h.Team).Secret);
            Console.WriteLine($"Organisation: {DemoOrganisation.People.Select(p => p.Team).Distinct().Count()} teams, {DemoOrganisation.People.Length} people, one virtual key each.");
            foreach (var h in DemoOrganisation.People) Console.WriteLine($"  {h.Person,-6} {h.Team,-9} {h.Description}");

            var started = DateTime.UtcNow;
            using var http = new HttpClient { BaseAddress = gateway.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
            var outcomes = new DemoOutcomes(http, clock, webhookSecret);
            var alerts = gateway.Services.GetRequiredService<AlertEngine>();
            // An automation key nobody owns: the waste report names it (ownerless-automation).
            var nightly = new DemoNightlyEval(http, keyStore.Create("evalbot", "ml-evals", TokenOps.Core.Identity.KeyKinds.Automation).Secret);
            var traffic = new DemoTraffic(http, clock, keys)
            {
                // At each workday's end: the day's merged PRs arrive by webhook, and the alert rules run on the day's spend.
                DayEnded = async (_, ct) =>
                {
                    await outcomes.MergeDayAsync(ct);
                    await nightly.NightAsync(ct);
                    await gateway.FlushLedgerAsync();
                    alerts.Evaluate();
                },
            };
            PrintPolicy(options);
            Console.WriteLine($"Driving {dayCount} days of work ({firstDay:yyyy-MM-dd} onwards) through {gateway.BaseUrl} on a time-compressed clock…");
            // Ctrl+C or SIGTERM stops the host (its lifetime owns the signals), which ends the traffic too.
            var stopping = gateway.App.Lifetime.ApplicationStopping;
            try
            {
                await traffic.RunAsync(firstDay, dayCount, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                Console.Error.WriteLine("tokenops: demo interrupted; the ledger keeps what was sent.");
                return 130;
            }
            // Budgets, forecasts and the poker week are reported at the end of the simulated history, then the clock is real again.
            // (an hour before the last simulated midnight: the demo clock keeps running while the report is printed)
            var asOf = firstDay.AddDays(dayCount).AddHours(-1);
            clock.JumpTo(asOf);
            await nightly.FinishAsync(stopping);
            await gateway.FlushLedgerAsync();
            alerts.Evaluate();
            var rows = gateway.Services.GetRequiredService<ILedgerStore>().Read();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Sent {traffic.Sent} requests in {(DateTime.UtcNow - started).TotalSeconds:0.0} s: {traffic.Refused} refused by a hard budget (402, expected), {traffic.Degraded} degraded, {traffic.Cached} answered by the response cache, {traffic.Failed} failed; {outcomes.Merged} merged PRs by webhook; {nightly.Submitted} nightly evaluation requests through the batch lane ({nightly.Refused} nights refused by a budget)."));
            DemoSummary.Print(rows, Console.Out);
            DemoReport.Print(gateway.Services, options, rows, firstDay, asOf, Console.Out);
            DemoWhatIf.Print(gateway.Services, firstDay, asOf, Console.Out);
            DemoWaste.Print(gateway.Services, firstDay, asOf, Console.Out);
            PrintBillCheck(simulator, rows);

            var (_, tryKey) = keyStore.Create("you", "demo");
            Console.WriteLine();
            if (parse.GetValue(exit))
            {
                // With --exit the clock stays at the report's instant, so nothing (alerts included) moves after the report.
                Console.WriteLine($"The demo ledger is in {Path.GetFullPath(dir)}; the gateway has stopped. Explore it with:");
                Console.WriteLine($"  tokenops report daily --data {dir}    tokenops savings --data {dir}    tokenops serve --simulate --data {dir}");
                return 0;
            }
            Console.WriteLine($"Dashboard: {gateway.BaseUrl} (sign in with the admin token {adminToken} to see everything,");
            Console.WriteLine($"           or as a developer with alice's key {keys["alice"]}). Admin API: Authorization: Bearer <admin token>.");
            Console.WriteLine($"The gateway is running at {gateway.BaseUrl} with the demo ledger in {Path.GetFullPath(dir)}.");
            Console.WriteLine("Try it with your own key (person 'you', team 'demo'):");
            Console.WriteLine($"  curl {gateway.BaseUrl}v1/chat/completions -H 'Authorization: Bearer {tryKey}' -H 'Content-Type: application/json' \\");
            Console.WriteLine("       -d '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
            Console.WriteLine($"  OpenAI SDKs:    OPENAI_BASE_URL={gateway.BaseUrl}v1 OPENAI_API_KEY={tryKey}");
            Console.WriteLine($"  Anthropic SDKs: ANTHROPIC_BASE_URL={gateway.BaseUrl.ToString().TrimEnd('/')} ANTHROPIC_API_KEY={tryKey}");
            Console.WriteLine($"  Then: tokenops ledger --data {dir} --since 10m");
            clock.BackToRealTime();
            Console.WriteLine("Press Ctrl+C to stop.");
            await gateway.App.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    /// <summary>The provider's own bill, priced with the same catalog, against the ledger: they must agree to the nano-dollar.</summary>
    private static void PrintBillCheck(SimulatedProvider simulator, IReadOnlyList<Core.Ledger.LedgerEntry> rows)
    {
        var bill = simulator.Services.GetRequiredService<SimulatorBill>().Entries;
        var catalog = BundledCatalog.Load();
        long billed = 0;
        foreach (var entry in bill)
            if (catalog.TryGet(entry.Model, out var price)) billed += NanoUsd.FromUsd(CostCalculator.Compute(price, entry.Usage).Total);
        var ledger = rows.Sum(r => r.CostNanos);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Provider bill check: simulator charged {NanoUsd.ToUsd(billed):0.000000000} USD for {bill.Count} responses; ledger says {NanoUsd.ToUsd(ledger):0.000000000} USD; difference {NanoUsd.ToUsd(ledger - billed):0.000000000} USD."));
    }

    private static void PrintPolicy(GatewayOptions options)
    {
        var b = options.Budgets;
        static string Describe(BudgetOptions o) => string.Create(CultureInfo.InvariantCulture,
            $"${o.LimitUsd:0.00} {o.Period} {(o.Mode == "hard" ? "hard" : "soft/" + o.SoftAction)}");
        Console.WriteLine($"Policy: organisation pool {Describe(b.Organisation!)}; teams {string.Join(", ", b.Teams.Select(t => $"{t.Key} {Describe(t.Value)}"))};");
        Console.WriteLine($"        {string.Join(", ", b.People.Select(p => $"{p.Key}'s stipend {Describe(p.Value)}"))}; tiers {string.Join(", ", b.Tiers.Keys)}; " +
            string.Create(CultureInfo.InvariantCulture, $"token poker ${options.Poker.WeeklyHandUsd:0.00}/week; alerts at {string.Join("/", options.Alerts.EffectiveThresholds)}% and on forecasts."));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void PrepareDirectory(string dir)
    {
        if (Directory.Exists(dir))
        {
            if (!File.Exists(Path.Combine(dir, Marker)) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new CliException($"--data {dir} exists and was not made by the demo; choose another directory", 2);
            Directory.Delete(dir, recursive: true);
        }
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, Marker), "Created by 'tokenops demo'; deleted and recreated on each run.\n");
    }
}
