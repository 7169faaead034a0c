namespace TokenOps.Core.Pricing;

/// <summary>What a model can take, from the catalog's <c>supports_*</c> fields. A flag the catalog does not set is not supported.</summary>
[Flags]
public enum ModelCapabilities
{
    None = 0,
    /// <summary><c>supports_function_calling</c>: tool definitions and tool calls.</summary>
    Tools = 1,
    /// <summary><c>supports_vision</c>: image input.</summary>
    Images = 2,
    /// <summary><c>supports_response_schema</c>: structured output against a JSON schema.</summary>
    JsonSchema = 4,
    /// <summary><c>supports_reasoning</c>: reasoning effort or extended thinking.</summary>
    Reasoning = 8,
}
