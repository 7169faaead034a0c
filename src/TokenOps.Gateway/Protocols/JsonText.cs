using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TokenOps.Gateway.Protocols;

/// <summary>
/// Strings read for estimates and messages, never throwing: JSON may legally hold a lone surrogate escape
/// (<c>"\ud800"</c>), which <see cref="JsonElement.GetString"/> refuses. Such a value is taken as its raw JSON text
/// (escapes kept), which is close enough for a tokenizer count and loses no bytes.
/// </summary>
internal static class JsonText
{
    public static string SafeString(JsonElement value)
    {
        try
        {
            return value.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8Value(value));
        }
    }

    public static string SafeString(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetString(JsonMarshal.GetRawUtf8PropertyName(property));
        }
    }
}
