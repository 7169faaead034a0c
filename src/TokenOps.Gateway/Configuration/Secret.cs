using System.Text.Json;
using System.Text.Json.Serialization;

namespace TokenOps.Gateway.Configuration;

/// <summary>A credential. Its text form and JSON form are always "***", so it cannot leak through logs or dumps.</summary>
[JsonConverter(typeof(SecretJsonConverter))]
public sealed class Secret(string value)
{
    /// <summary>The clear value; call only where the credential is put on the wire.</summary>
    public string Reveal() => value;

    public override string ToString() => "***";

    private sealed class SecretJsonConverter : JsonConverter<Secret>
    {
        public override Secret Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.GetString() ?? "");

        public override void Write(Utf8JsonWriter writer, Secret value, JsonSerializerOptions options) => writer.WriteStringValue("***");
    }
}
