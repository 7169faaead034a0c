using Microsoft.AspNetCore.Http;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols;

/// <summary>Fault handling shared by all protocols.</summary>
internal static class NonStreamed
{
    /// <summary>
    /// Writes a complete JSON body, applying the fault: <c>midstream</c> sends the first half (Content-Length
    /// announces the whole) and aborts; <c>malformed</c> sends a truncated, invalid body with a matching
    /// Content-Length. Bills before the last byte leaves, so a client that has the response sees the entry.
    /// </summary>
    public static async Task WriteAsync(SimCall call, PooledBufferWriter body)
    {
        var response = call.Http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        var bytes = body.WrittenMemory;
        switch (call.Fault.Kind)
        {
            case SimFaultKind.Midstream:
                call.Record(completed: false);
                response.ContentLength = bytes.Length;
                await response.BodyWriter.WriteAsync(bytes[..(bytes.Length / 2)], call.Aborted);
                await call.AbortConnectionAsync();
                return;
            case SimFaultKind.Malformed:
                call.Record(completed: true);
                await response.WriteBodyAsync(bytes[..(bytes.Length / 2)], call.Aborted);
                return;
            default:
                call.Record(completed: true);
                await response.WriteBodyAsync(bytes, call.Aborted);
                return;
        }
    }

    /// <summary>
    /// After how many streamed content events a streaming fault fires: midstream after 3 (or all, if fewer),
    /// hang and malformed after the first (0 = right after the opening events when there is no content).
    /// -1 for no streaming fault.
    /// </summary>
    public static int FaultPoint(SimFaultKind kind, int words) => kind switch
    {
        SimFaultKind.Midstream => Math.Min(3, Math.Max(0, words - 1)),
        SimFaultKind.Hang or SimFaultKind.Malformed => Math.Min(1, words),
        _ => -1,
    };
}
