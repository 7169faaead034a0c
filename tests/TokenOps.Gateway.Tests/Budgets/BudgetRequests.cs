using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TokenOps.Core.Budgets;
using TokenOps.Core.Ledger;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Tests.Infrastructure;

namespace TokenOps.Gateway.Tests.Budgets;

/// <summary>Raw requests and ledger/counter checks shared by the budget tests.</summary>
internal static class BudgetRequests
{
    public static HttpRequestMessage Chat(string model = "gpt-4o-mini", int? maxTokens = 64, bool stream = false, string? fault = null,
        string? project = null, string? justification = null)
    {
        var max = maxTokens is { } m ? $",\"max_tokens\":{m}" : "";
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}}{{max}},"messages":[{"role":"user","content":"Summarise the budget policy in two sentences."}]}""", Encoding.UTF8, "application/json"),
        };
        if (fault is not null) request.Headers.Add("x-sim-fault", fault);
        if (project is not null) request.Headers.Add("X-TokenOps-Project", project);
        if (justification is not null) request.Headers.Add("X-TokenOps-Justification", justification);
        return request;
    }

    public static BudgetEngine Engine(this GatewayFixture gateway) => gateway.App.Services.GetRequiredService<BudgetEngine>();

    /// <summary>Waits (bounded) until no reservation is outstanding, then returns every budget's snapshot.</summary>
    public static async Task<IReadOnlyList<BudgetSnapshot>> SettledSnapshotsAsync(this GatewayFixture gateway)
    {
        var engine = gateway.Engine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (engine.Book.OpenReservations > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        return engine.Current();
    }

    /// <summary>The ledger once it stops growing (aborted requests settle just after their client gave up); bounded.</summary>
    public static async Task<IReadOnlyList<LedgerEntry>> StableLedgerAsync(this GatewayFixture gateway)
    {
        var rows = await gateway.LedgerAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            var again = await gateway.LedgerAsync();
            if (again.Count == rows.Count) return again;
            rows = again;
        }
        return rows;
    }

    /// <summary>The ledger's truth for one budget: SUM(cost) of the rows it covers.</summary>
    public static long LedgerNanos(IEnumerable<LedgerEntry> rows, BudgetSnapshot s) => rows.Where(r => s.Level switch
    {
        BudgetLevel.Person => r.Person == s.Name,
        BudgetLevel.Team => r.Team == s.Name,
        BudgetLevel.Project => r.Project == s.Name,
        _ => true,
    } && r.StartedAt >= s.PeriodStart && r.StartedAt < s.PeriodEnd).Sum(r => r.CostNanos);
}
