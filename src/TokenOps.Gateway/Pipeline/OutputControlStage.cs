using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.OutputControl;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Output control (tokenops.json "outputControl"): the output limit and reasoning ceiling in force for the caller's team,
/// tier and route are written into the body before rate limits and budgets size the request, so both see the limit the
/// provider will obey (a request without max_tokens holds its default, not the model's whole output limit). What was
/// changed goes on the ledger row (the "capped" lever) and in the <see cref="Header"/> response header.
/// </summary>
public sealed class OutputControlStage(OutputControlPolicy policy, BudgetEngine budgets)
{
    public const string Header = "X-TokenOps-Output-Control";

    public void Run(ProxyContext context)
    {
        if (policy.IsEmpty || !context.Route.Billable || !context.Route.JsonBody) return;
        var key = context.Key!;
        var limits = policy.For(context.Route.Name, budgets.Policies.TierOf(key.Person)?.Name, key.Team);
        if (limits.IsEmpty) return;
        var price = context.ModelRoute!.Price;
        var rewrite = OutputLimitRewriter.Apply(context.Body!, context.Route.Name, limits, price?.Provider == "openai", price?.MaxOutputTokens);
        if (rewrite.Applied is null) return;
        context.Body = rewrite.Body;
        context.Facts = context.Facts! with { MaxOutputTokens = rewrite.MaxOutputTokens };
        context.OutputControl = rewrite.Applied;
        context.Http.Response.Headers[Header] = rewrite.Applied;
    }
}
