namespace TokenOps.Gateway.Protocols.OpenAI.Audio;

/// <summary>Checks the audio routes share.</summary>
internal static class AudioFields
{
    /// <summary>The model, refused when it asks the router to choose: the router chooses among chat models.</summary>
    public static string Model(string model) => Routing.AutoRouters.IsAuto(model)
        ? throw GatewayException.BadRequest("not_routable", $"'{model}' chooses among chat models; audio endpoints need a model named explicitly.", "model")
        : model;
}
