namespace TokenOps.Gateway.Protocols;

/// <summary>The wire protocol a client speaks and a provider serves. Errors are written in the client's dialect.</summary>
public enum Dialect
{
    OpenAI,
    Anthropic,
}
