using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using TokenOps.Core.Identity;
using TokenOps.Core.Pricing;
using TokenOps.Gateway;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;
using TokenOps.Gateway.Protocols.OpenAI;
using TokenOps.Gateway.Providers;
using TokenOps.Storage.Sqlite;

namespace TokenOps.Bench;

/// <summary>
/// The admit stage alone, in-process, on one thread: reserve against organisation, team and person budgets, then
/// settle, for the bench's chat body. Process CPU time per request, minus a baseline loop that builds the same
/// request context without admitting it. Less noisy than the end-to-end pair on a shared machine.
/// </summary>
internal static class AdmitMicrobench
{
    public static int Run(int iterations)
    {
        var dir = Path.Combine(Path.GetTempPath(), "tokenops-admit-micro-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new GatewayOptions { DataDirectory = dir };
            options.Budgets.Organisation = new BudgetOptions { LimitUsd = 1_000_000m, Period = "monthly" };
            options.Budgets.Teams["perf"] = new BudgetOptions { LimitUsd = 100_000m, Period = "weekly" };
            options.Budgets.People["bench"] = new BudgetOptions { LimitUsd = 10_000m, Period = "daily" };
            var store = new SqliteBudgetStore(new SqliteDatabase(dir), TimeProvider.System);
            var engine = new BudgetEngine(options, store, [], TimeProvider.System, NullLogger<BudgetEngine>.Instance);
            var catalog = BundledCatalog.Load();
            var provider = new ProviderEndpoint("sim", Dialect.OpenAI, new Uri("http://127.0.0.1:1"), null, TimeSpan.FromSeconds(30));
            var router = new ModelRouterHolder(new ModelRouter(catalog, new Dictionary<string, ProviderEndpoint> { ["openai"] = provider },
                new Dictionary<string, ModelRouteOptions>(), []));
            var admit = new AdmitStage(engine, router, new TokenCounter(), NullLogger<AdmitStage>.Instance);
            var route = new ChatCompletionsRoute();
            var body = Scenario.Create("json", "gpt-4o-mini", 64).Body;
            var key = new VirtualKey("key_bench", "bench", "perf", "tok_abc", DateTimeOffset.UnixEpoch, null);
            var modelRoute = router.Current.Resolve("gpt-4o-mini", Dialect.OpenAI);
            var facts = route.Read(System.Text.Json.JsonDocument.Parse(body).RootElement);
            var actualNanos = NanoUsd.FromUsd(37 * 0.15m / 1_000_000 + 64 * 0.6m / 1_000_000);

            ProxyContext Context() => new(new DefaultHttpContext(), route, "evt", TimeProvider.System.GetUtcNow())
            {
                Key = key, Body = body, Facts = facts, ModelRoute = modelRoute,
            };
            double Measure(bool withAdmit)
            {
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                for (var i = 0; i < iterations; i++)
                {
                    var context = Context();
                    if (!withAdmit) continue;
                    admit.RunAsync(context).AsTask().GetAwaiter().GetResult(); // in-process counters: completes synchronously
                    engine.Book.Settle(context.Reservation, actualNanos);
                }
                return (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / iterations;
            }

            Measure(true); Measure(false); // warm-up: JIT tiers, tokenizer load, counters opened
            var rounds = new List<(double Base, double Admit)>();
            for (var r = 0; r < 5; r++) rounds.Add((Measure(false), Measure(true)));
            var added = rounds.Select(x => x.Admit - x.Base).Order().ToList();
            var sb = new StringBuilder();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"admit-micro: {iterations} requests x 5 rounds, 3 budgets (org, team, person), gpt-4o-mini chat body of {body.Length} bytes"));
            foreach (var (b, a) in rounds)
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  baseline {b,6:0.00} us/req  with admit+settle {a,6:0.00} us/req  added {a - b,6:0.00} us/req"));
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  added CPU per request: median {added[2]:0.00} us (min {added[0]:0.00}, max {added[4]:0.00}); open reservations after: {engine.Book.OpenReservations}"));
            Console.Write(sb.ToString());
            return engine.Book.OpenReservations == 0 ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
