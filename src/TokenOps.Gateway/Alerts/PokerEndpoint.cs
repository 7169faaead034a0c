using System.Text;
using System.Text.Json;
using TokenOps.Core.Ledger;
using TokenOps.Core.Poker;
using TokenOps.Gateway.Configuration;
using TokenOps.Gateway.Metering;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Alerts;

/// <summary>
/// GET /v1/tokenops/poker[?week=YYYY-MM-DD]: the token-poker leaderboard for any virtual-key holder (every player sees
/// every player's spend, or the anonymised view when the organisation chose it; the caller's own row has "you": true).
/// 404 poker_disabled unless poker.enabled.
/// Authenticated and recorded in the ledger like every /v1 request (at $0, no model).
/// </summary>
public sealed class PokerEndpoint(AuthenticateStage authenticate, SettleStage settle, PokerGame game, GatewayOptions options, TimeProvider time)
{
    public const string RouteName = "tokenops.poker";
    public const string PathValue = "/v1/tokenops/poker";

    public async Task InvokeAsync(HttpContext http)
    {
        var context = new ProxyContext(http, Route.Instance, EventIds.New(time.GetUtcNow()), time.GetUtcNow());
        byte[] body;
        try
        {
            authenticate.Run(context);
            // Showing everyone's spend to every key holder is the game's rule, so only when the organisation plays it.
            if (!options.Poker.Enabled)
                throw new GatewayException(404, "poker_disabled", "Token poker is not enabled on this gateway (poker.enabled in tokenops.json).");
            if (!AlertEndpoints.TryWeek(http.Request.Query["week"].ToString(), game, time, out var start))
                throw new GatewayException(400, "invalid_week", "week must be a date (YYYY-MM-DD) between 1970 and 8999.");
            var board = game.Leaderboard(start, viewer: context.Key!.Person);
            body = JsonSerializer.SerializeToUtf8Bytes(AlertEndpoints.LeaderboardView(board));
        }
        catch (GatewayException ex)
        {
            context.Fail(ex.Status, LedgerOutcome.Refused, ex.Code);
            body = ErrorBodies.Write(Dialect.OpenAI, ex.Status, ex.Code, ex.Message);
        }
        finally
        {
            settle.Settle(context);
        }
        http.Response.StatusCode = context.Status;
        http.Response.ContentType = "application/json";
        http.Response.Headers["X-TokenOps-Request-Id"] = context.EventId;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>Answered locally: a route only for the ledger.</summary>
    private sealed class Route : ProtocolRoute
    {
        public static readonly Route Instance = new();
        public override string Name => RouteName;
        public override string Path => PathValue;
        public override Dialect Dialect => Dialect.OpenAI;
        public override RequestFacts Read(JsonElement root) => throw new NotSupportedException();
        public override UsageMeter CreateMeter(RequestFacts facts) => throw new NotSupportedException();
        public override void CollectPromptText(JsonElement root, StringBuilder text) { }
    }
}
