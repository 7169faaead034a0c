using System.Text.Json;
using TokenOps.Gateway.Pipeline;

namespace TokenOps.Gateway.Routing;

/// <summary>
/// Forwards the request; for a cascading router (non-streamed requests only) the cheaper model's answer is judged
/// (<see cref="AnswerCheck"/>) before it reaches the client, and when it fails, that attempt is settled as a row of its
/// own, linked to this request's by ParentId, and the request goes again to the next stronger candidate, admitted anew
/// (its budget hold is sized for the stronger model). The client sees one answer: the last attempt's. Without a cascade
/// it is the forward stage and nothing else.
/// </summary>
public sealed class CascadeStage(ForwardStage forward, AdmitStage admit, SettleStage settle, RouterStage router, TimeProvider time)
{
    public async Task RunAsync(ProxyContext context)
    {
        while (true)
        {
            context.AnswerCheck = context.CascadeCandidates.Count > 0 ? Check(context) : null;
            try
            {
                await forward.RunAsync(context);
                return;
            }
            catch (CascadeEscalation escalation)
            {
                var attempt = context.SplitAttempt(EventIds.New(time.GetUtcNow()), escalation.Reason);
                try
                {
                    settle.Settle(attempt);
                }
                finally
                {
                    attempt.Ended = true;
                    attempt.Meter?.Dispose();
                }
                // Nothing reached the client: what the failed attempt set on the response goes.
                context.Http.Response.Headers.Clear();
                context.Http.Response.StatusCode = 200;
                await router.EscalateAsync(context);
                await admit.RunAsync(context);
            }
        }
    }

    private static Func<ReadOnlyMemory<byte>, string?> Check(ProxyContext context)
    {
        var route = context.Route.Name;
        var body = context.Body!;
        return answer =>
        {
            using var request = JsonDocument.Parse(body);
            return AnswerCheck.Fails(route, request.RootElement, answer.Span);
        };
    }
}
