using TokenOps.Core.Metering;

namespace TokenOps.Gateway.Metering;

/// <summary>A call the provider does not bill: zero usage, reported as such (never estimated), whatever the answer holds.</summary>
internal sealed class FreeMeter : UsageMeter
{
    public FreeMeter() => Usage = TokenUsage.Zero;

    public override void OnJson(ReadOnlyMemory<byte> body)
    {
    }

    public override bool OnEvent(ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> data) => true;
}
