using System.Globalization;
using System.Text;
using System.Text.Json;
using TokenOps.Core.Budgets;
using TokenOps.Core.Pricing;
using TokenOps.Gateway.Budgets;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Pipeline;

/// <summary>
/// Budget enforcement before anything is forwarded. In order: the person's tier may call this model; soft budgets the
/// request would overrun apply their action (require a justification, degrade to the tier's cheaper model, warn);
/// then the worst-case cost is reserved against every budget the request falls under, atomically, or, when a hard
/// budget cannot cover it, max_tokens is clamped to fit (if configured) or the request is refused with 402.
/// The settle stage frees the reservation and books the actual cost on every exit path.
/// </summary>
public sealed class AdmitStage(BudgetEngine engine, ModelRouterHolder router, TokenCounter tokens, ILogger<AdmitStage> logger)
{
    public const string JustificationHeader = "X-TokenOps-Justification";
    public const string RemainingHeader = "X-TokenOps-Budget-Remaining";
    /// <summary>The worst case this request holds against its budgets while it runs (released at settlement).</summary>
    public const string HeldHeader = "X-TokenOps-Budget-Held";
    public const string WarningHeader = "X-TokenOps-Budget-Warning";
    public const string DegradedHeader = "X-TokenOps-Budget-Degraded";
    private const int MaxJustificationLength = 500;
    /// <summary>How many times the byte-count bound a budget must have left for the tokenizer to be skipped.</summary>
    private const long BoundHeadroom = 8;

    /// <summary>Completes synchronously unless the budgets are shared counters in Redis (one awaited round trip per reserve).</summary>
    public ValueTask RunAsync(ProxyContext context)
    {
        var policies = engine.Policies;
        if (policies.IsEmpty || !context.Route.Billable) return ValueTask.CompletedTask;
        var key = context.Key!;
        var facts = context.Facts!;
        var tier = policies.TierOf(key.Person);
        // A routed request is checked on the model the router chose (it only chooses allowed ones), never on "auto".
        var model = context.RoutedRoute?.ServedModel ?? facts.Model;
        if (tier is not null && !tier.Allows(model))
            throw new GatewayException(403, "model_not_allowed",
                $"Tier '{tier.Name}' may not call '{model}'. Allowed models: {string.Join(", ", tier.AllowedModels!.Order(StringComparer.Ordinal))}.", "model");
        var applicable = policies.Applicable(key.Person, key.Team, context.Attribution.Project);
        if (applicable.Count == 0) return ValueTask.CompletedTask;
        return ReserveOrRefuseAsync(context, tier, applicable);
    }

    /// <summary>
    /// A budget whose spend must be read from the ledger (a counter opened for a new period, shared counters seeded again
    /// after Redis restarted empty) while the database is unreachable cannot be checked: the request is refused with a 503
    /// in its protocol's format and recorded, never forwarded unchecked and never a 500.
    /// </summary>
    private async ValueTask ReserveOrRefuseAsync(ProxyContext context, TierPolicy? tier, IReadOnlyList<BudgetPolicy> applicable)
    {
        try
        {
            await ReserveAsync(context, tier, applicable);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or TimeoutException or System.Net.Sockets.SocketException or IOException)
        {
            logger.LogWarning("Request {Event} refused: budget spend cannot be read from the ledger ({Error})", context.EventId, ex.GetType().Name);
            throw new GatewayException(503, "budget_state_unavailable",
                "Budgets cannot be checked right now (the ledger they are read from is unreachable), so the request was not sent. Retry shortly.")
            { RetryAfterSeconds = 5 };
        }
    }

    private async ValueTask ReserveAsync(ProxyContext context, TierPolicy? tier, IReadOnlyList<BudgetPolicy> applicable)
    {

        var book = engine.Book;
        var now = context.StartedAt; // the ledger row's started_at: the request counts in the period it started in
        var counters = book.CountersFor(applicable, now);
        // Far from every limit, the body's byte count stands in for the tokenizer (a token is at least one byte, so it
        // can only over-reserve, and only where the headroom is many times the request): no parse, no tokenizing.
        // Near a limit, or if the bound is refused, the tokenizer counts exactly.
        var bound = RequestSize.Bound(context, engine.Options.DefaultMaxOutputTokens);
        var size = book.MinAvailable(counters, now) >= WorstCase(context, bound) * BoundHeadroom
            ? bound
            : RequestSize.Measure(context, tokens, engine.Options.DefaultMaxOutputTokens);
        var worst = WorstCase(context, size);
        List<string>? actions = null;

        var overruns = book.SoftOverruns(counters, worst, now);
        if (overruns.Count > 0)
        {
            actions = [];
            var before = context.ModelRoute;
            ApplySoftActions(context, overruns, tier, actions);
            // A degrade serves another model: its output limit and context window size the request anew.
            if (!ReferenceEquals(before, context.ModelRoute))
                size = size.IsBound ? RequestSize.Bound(context, engine.Options.DefaultMaxOutputTokens) : RequestSize.Measure(context, tokens, engine.Options.DefaultMaxOutputTokens);
            worst = WorstCase(context, size);
        }

        var result = await Reserve(counters, worst, context);
        if (result.Reservation is null && size.IsBound)
        {
            size = RequestSize.Measure(context, tokens, engine.Options.DefaultMaxOutputTokens);
            worst = WorstCase(context, size);
            result = await Reserve(counters, worst, context);
        }
        if (result.Reservation is null && engine.Options.ClampMaxTokens)
        {
            actions ??= [];
            result = await TryClamp(context, counters, size, result, actions) ?? result;
        }
        if (result.Reservation is null) throw Refusal(result.RefusedBy!, worst);

        context.Reservation = result.Reservation;
        // What is left for the next request: this request's worst-case hold is not spending. Until the answer is
        // known that is the remainder before this request; the settle stage lowers it by the actual cost when the
        // headers have not gone yet (every non-streamed answer).
        context.BudgetLeftBeforeNanos = Math.Max(0, result.AvailableNanos + result.Reservation.Nanos);
        context.Http.Response.Headers[RemainingHeader] = Usd(context.BudgetLeftBeforeNanos.Value);
        context.Http.Response.Headers[HeldHeader] = Usd(result.Reservation.Nanos);
        if (actions is { Count: > 0 }) context.BudgetAction = string.Join(';', actions);
    }

    private void ApplySoftActions(ProxyContext context, List<BudgetCounter> overruns, TierPolicy? tier, List<string> actions)
    {
        var headers = context.Http.Response.Headers;
        var requireJustification = overruns.FirstOrDefault(c => c.Policy.SoftAction == SoftAction.RequireJustification);
        if (requireJustification is not null)
        {
            var justification = context.Http.Request.Headers[JustificationHeader].ToString().Trim();
            if (justification.Length == 0)
            {
                var s = engine.Book.Snapshot(requireJustification, context.StartedAt);
                throw new GatewayException(402, "justification_required",
                    $"Budget '{s.BudgetId}' is past its soft limit ({s.Spent:0.00} of {s.Limit:0.00} USD spent). Requests beyond it need a reason: " +
                    $"send it in the {JustificationHeader} header and it is recorded with the request. The budget resets at {Time(s.PeriodEnd)}.")
                { Budget = BudgetRefusal.From(s) };
            }
            context.Justification = justification.Length > MaxJustificationLength ? justification[..MaxJustificationLength] : justification;
            actions.Add("justified:" + requireJustification.Id);
        }
        if (overruns.Any(c => c.Policy.SoftAction == SoftAction.Degrade) && Degrade(context, tier) is { } degraded)
        {
            actions.Add(degraded);
            headers[DegradedHeader] = HeaderValues.Encode(degraded["degraded:".Length..]);
        }
        var warned = overruns[0];
        var snapshot = engine.Book.Snapshot(warned, context.StartedAt);
        // The budget id holds a name (person:josé): data, so encoded (HeaderValues), never written raw into a header.
        headers[WarningHeader] = HeaderValues.Encode(string.Create(CultureInfo.InvariantCulture,
            $"budget {snapshot.BudgetId} is past its soft limit: {snapshot.Spent:0.00} of {snapshot.Limit:0.00} USD spent, resets {Time(snapshot.PeriodEnd)}"));
        foreach (var c in overruns)
        {
            BudgetBook.CountWarning(c);
            if (c.Policy.SoftAction == SoftAction.Warn) actions.Add("warned:" + c.Id);
        }
        // The alert: a structured log line today; the alerts feature reads BudgetCounter.Warnings through status.
        logger.LogWarning("Soft budget {Budgets} overrun by {Person} ({Event})", string.Join(",", overruns.Select(c => c.Id)), context.Key!.Person, context.EventId);
    }

    /// <summary>Serves the tier's cheaper model for this protocol instead (or the budgets' one); null when there is none to switch to.</summary>
    private string? Degrade(ProxyContext context, TierPolicy? tier)
    {
        var target = router.Current.Degrades.For(tier?.Name, context.Route.Dialect);
        var from = context.ModelRoute!.ServedModel;
        if (target is null || target == from || target == context.Facts!.Model) return null;
        try
        {
            var before = context.ModelRoute;
            context.ModelRoute = router.Current.Resolve(target, context.Route.Dialect);
            // Priced as asked at the model served before the degrade (the router's choice, or the one asked for).
            context.AskedRoute ??= before;
            context.Degraded = true;
        }
        catch (GatewayException ex)
        {
            logger.LogError("Cannot degrade to '{Target}' (check budgets.degradeModel / tiers): {Message}", target, ex.Message);
            return null;
        }
        return $"degraded:{from}->{context.ModelRoute.ServedModel}";
    }

    private async ValueTask<ReserveResult?> TryClamp(ProxyContext context, BudgetCounter[] counters, RequestSize size, ReserveResult refused, List<string> actions)
    {
        if (size.MaxOutputFields is not { Length: > 0 } fields || context.ModelRoute!.Price is not { } price) return null;
        // The limit applies to each choice; what must fit is every choice's output together.
        var (tools, tier) = (context.Facts!.ToolCalls, context.Facts.Tier);
        var fitTotal = ReservationMath.MaxOutputThatFits(price, size.InputTokens, refused.AvailableNanos, size.MaxOutputTokens * size.Choices, tools, tier);
        var fit = fitTotal / size.Choices;
        if (fit < engine.Options.MinClampedMaxTokens || fit >= size.MaxOutputTokens) return null;
        var retry = await Reserve(counters, ReservationMath.WorstCaseNanos(price, size.InputTokens, fit * size.Choices, tools, tier), context);
        if (retry.Reservation is null) return retry;
        // Every limit field the body has is set: a provider obeying the one left alone would defeat the clamp.
        foreach (var field in fields)
            context.Body = JsonBodyPatcher.SetTopLevel(context.Body!, field, fit.ToString(CultureInfo.InvariantCulture));
        actions.Add($"clamped:{fields[0]}={fit}");
        // Anthropic refuses a thinking budget at or above max_tokens: a clamp lowers it with the limit.
        if (context.Route.Name == "anthropic.messages" && context.Facts.MaxOutputTokens is { } before)
            context.Body = OutputControl.OutputLimitRewriter.KeepThinkingBelow(context.Body!, before, fit, "clamp", actions);
        context.Facts = context.Facts! with { MaxOutputTokens = fit };
        return retry;
    }

    /// <summary>
    /// The reservation, held under the request's event id (shared counters settle by it). Shared counters that cannot be
    /// reached with redis.onFailure fail-closed refuse the request with 503, recorded in the ledger like any refusal.
    /// </summary>
    private async ValueTask<ReserveResult> Reserve(BudgetCounter[] counters, long nanos, ProxyContext context)
    {
        try
        {
            // A background response runs on after its request: its hold lasts until it is settled (Responses/BackgroundResponses).
            var ttl = context.Facts!.Background ? Responses.BackgroundResponses.HoldTtl : engine.ReservationTtl;
            return await engine.Book.TryReserveAsync(counters, nanos, context.StartedAt, ttl, context, context.EventId);
        }
        catch (BudgetCountersUnavailableException ex)
        {
            logger.LogWarning("Request {Event} refused: {Message} and redis.onFailure is fail-closed", context.EventId, ex.Message);
            throw new GatewayException(503, "budget_counters_unavailable",
                "Budgets cannot be checked right now (the shared budget counters are unreachable), so the request was not sent. Retry shortly.")
            { RetryAfterSeconds = 5 };
        }
    }

    private static long WorstCase(ProxyContext context, RequestSize size)
    {
        var price = context.ModelRoute!.Price;
        if (price is null) return 0; // allow-listed unpriced models are recorded at $0, so they reserve nothing
        var facts = context.Facts!;
        // Images: n images at the variant's price per image, or (gpt-image) the input and n of the largest images in tokens.
        if (facts.PriceVariant is not null) return ReservationMath.WorstCaseImagesNanos(price, size.InputTokens, facts.Choices);
        // Audio: every bucket the request may bill, at the served model's rates (a bucket it has no rate for is left out).
        if (facts.UnitBound is { } units) return ReservationMath.WorstCaseUnitsNanos(price, units);
        // The catalog's output limit only caps a default: a client's own max_tokens is reserved as sent, since a beta header
        // can raise what the provider allows (a value it refuses costs nothing).
        var perChoice = facts.MaxOutputTokens is null && price.MaxOutputTokens is { } cap && cap > 0 ? Math.Min(size.MaxOutputTokens, cap) : size.MaxOutputTokens;
        return ReservationMath.WorstCaseNanos(price, size.InputTokens, perChoice * size.Choices, facts.ToolCalls, facts.Tier);
    }

    private static GatewayException Refusal(BudgetSnapshot s, long worst) => new(402, "budget_exceeded",
        string.Create(CultureInfo.InvariantCulture,
            $"Budget '{s.BudgetId}' cannot cover this request: {s.Spent:0.00####} of {s.Limit:0.00} USD spent, {s.Reserved:0.00####} USD held by requests in flight, " +
            $"and this one may cost up to {NanoUsd.ToUsd(worst):0.00####} USD. It resets at {Time(s.PeriodEnd)}. Lower max_tokens or ask for more budget."))
    { Budget = BudgetRefusal.From(s) };

    internal static string Usd(long nanos) => NanoUsd.ToUsd(nanos).ToString("0.000000", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>
/// A request's size for reservation: input tokens counted once with the tokenizer plus a margin on the high side
/// (per-message framing, tokenizer differences: a reservation must be the worst case), its output limit per choice and
/// how many choices it asks for. Input the body does not hold (media, files, stored conversations, built-in tools) is
/// bounded by the model's context window instead.
/// </summary>
internal readonly record struct RequestSize(long InputTokens, long MaxOutputTokens, string[]? MaxOutputFields, bool IsBound = false, int Choices = 1)
{
    /// <summary>The context window assumed for a model the catalog gives none, when the input cannot be read from the body.</summary>
    private const long UnknownContextWindow = 1_000_000;

    /// <summary>An upper bound without parsing or tokenizing: every prompt token is at least one byte of the body.</summary>
    public static RequestSize Bound(ProxyContext context, long defaultMaxOutput)
    {
        long bytes = context.Body!.Length;
        var facts = context.Facts!;
        var maxOutput = facts.MaxOutputTokens ?? context.ModelRoute!.Price?.MaxOutputTokens ?? defaultMaxOutput;
        return new RequestSize(WithUnseen(context, bytes + bytes / 4 + 32), maxOutput, null, IsBound: true, facts.Choices);
    }

    public static RequestSize Measure(ProxyContext context, TokenCounter tokens, long defaultMaxOutput)
    {
        // A form's size is its route's bound (the reservation is priced from the facts' unit bound), not its text.
        if (!context.Route.JsonBody) return Bound(context, defaultMaxOutput) with { IsBound = false };
        using var doc = JsonDocument.Parse(context.Body!);
        var root = doc.RootElement;
        // Every field is counted: the prompt's text, and every other field as its JSON text (tool definitions, schemas,
        // predictions, fields added later: a provider bills what it turns into input, so none may be missed).
        var text = new StringBuilder();
        foreach (var field in root.EnumerateObject())
        {
            if (context.Route.IsPromptField(JsonText.SafeString(field))) JsonFields.CollectText(field.Value, text);
            else text.Append(field.Value.GetRawText()).Append(' ');
        }
        var counted = tokens.Count(context.ModelRoute!.ServedModel, text.ToString()) + context.Route.PromptTokenIds(root);
        var input = counted + counted / 4 + 32;
        string[]? fields = context.Route.Name switch
        {
            "openai.chat" => root.TryGetProperty("max_completion_tokens", out _)
                ? root.TryGetProperty("max_tokens", out _) ? ["max_completion_tokens", "max_tokens"] : ["max_completion_tokens"]
                : ["max_tokens"],
            "openai.responses" => ["max_output_tokens"],
            "anthropic.messages" => ["max_tokens"],
            "openai.completions" => ["max_tokens"],
            _ => null,
        };
        var facts = context.Facts!;
        var maxOutput = fields is null ? 0 : facts.MaxOutputTokens ?? context.ModelRoute.Price?.MaxOutputTokens ?? defaultMaxOutput;
        return new RequestSize(WithUnseen(context, input), maxOutput, fields, Choices: facts.Choices);
    }

    private static long WithUnseen(ProxyContext context, long input) =>
        context.Facts!.UnseenInput ? Math.Max(input, context.ModelRoute!.Price?.MaxInputTokens ?? UnknownContextWindow) : input;
}
