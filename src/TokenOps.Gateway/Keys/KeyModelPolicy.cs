using TokenOps.Core.Identity;
using TokenOps.Gateway.Pipeline;
using TokenOps.Gateway.Protocols;

namespace TokenOps.Gateway.Keys;

/// <summary>
/// A key's model allow-list, enforced on the model asked for and on the model that serves: an alias, the router's choice
/// or a budget's degrade cannot take a request outside it (the router only chooses allowed models; a degrade to a model
/// the key may not use is refused, 403). <c>auto</c> itself is not a model and is not checked; its choice is.
/// </summary>
public static class KeyModelPolicy
{
    public static void Check(ProxyContext context)
    {
        if (context.Key?.Models is not { } allowed) return;
        var asked = context.Facts!.Model;
        if (!Routing.AutoRouters.IsAuto(asked) && !allowed.Allows(asked)) throw Refusal(context.Key, asked, null);
        if (context.ModelRoute is { } route && !allowed.Allows(route.ServedModel)) throw Refusal(context.Key, route.ServedModel, asked);
    }

    private static GatewayException Refusal(VirtualKey key, string model, string? asked) => new(403, "model_not_allowed",
        (asked is null || asked == model ? $"The API key {key.DisplayPrefix} may not call '{model}'."
            : $"The API key {key.DisplayPrefix} may not be served '{model}' (chosen for '{asked}')." )
        + $" Its models: {key.Models}. Ask for the key's allow-list to be changed (tokenops keys set {key.Id} --models ...).", "model");
}
