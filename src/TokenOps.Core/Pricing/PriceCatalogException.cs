namespace TokenOps.Core.Pricing;

/// <summary>The pricing catalog or one of its overrides could not be loaded. The message names the model and field.</summary>
public sealed class PriceCatalogException : Exception
{
    public PriceCatalogException(string message)
        : base(message)
    {
    }

    public PriceCatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
