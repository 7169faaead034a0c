using System.Text.Json;
using TokenOps.Core.Audit;

namespace TokenOps.Storage.Audit;

/// <summary>Writes one audit entry for a change, naming the actor of the current flow (<see cref="AuditActor"/>).</summary>
public sealed class AuditRecorder(IAuditLog log, TimeProvider time)
{
    public IAuditLog Log => log;

    public AuditEntry Record(string action, string subject, object? before, object? after)
    {
        var (actor, origin) = AuditActor.Who;
        return log.Append(new AuditEntry
        {
            At = time.GetUtcNow(), Actor = actor, Origin = origin, Action = action, Subject = subject,
            Before = before is null ? null : JsonSerializer.Serialize(before, Options),
            After = after is null ? null : JsonSerializer.Serialize(after, Options),
        });
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
