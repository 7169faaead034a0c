using System.Text;
using System.Text.Json;

namespace TokenOps.Routing;

/// <summary>
/// Turns a request body into a <see cref="RoutePrompt"/>: an OpenAI chat body (messages; system and developer roles;
/// string or content-part content), an Anthropic messages body (top-level system as a string or blocks; text,
/// tool_use and tool_result blocks), a Responses body (instructions; input as a string or items) or {"prompt": ...}.
/// It never throws on odd shapes: whatever is not where it expects is skipped, and a body with no text gives an empty
/// prompt, which scores low.
/// </summary>
public static class RoutePromptReader
{
    // Walking untrusted JSON: bounded, so a pathological body cannot make scoring recurse without end.
    private const int MaxDepth = 16;

    public static RoutePrompt Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return new RoutePrompt(null, [], 0, null);
        var system = new StringBuilder();
        var turns = new List<RouteTurn>();

        if (root.TryGetProperty("system", out var sys)) AppendText(system, sys, 0);
        if (root.TryGetProperty("instructions", out var instructions)) AppendText(system, instructions, 0);

        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            ReadItems(messages, turns, system);

        if (root.TryGetProperty("input", out var input))
        {
            if (input.ValueKind == JsonValueKind.String) AddTurn(turns, "user", input.GetString());
            else if (input.ValueKind == JsonValueKind.Array) ReadItems(input, turns, system);
        }

        if (root.TryGetProperty("prompt", out var prompt))
        {
            var text = new StringBuilder();
            AppendText(text, prompt, 0);
            AddTurn(turns, "user", text.ToString());
        }

        return new RoutePrompt(system.Length > 0 ? system.ToString() : null, turns, ToolCount(root), RequestedOutput(root));
    }

    // Chat messages and Responses input items share a shape closely enough: a role and a content that is a string or
    // a list of parts. Responses items without a role (function_call, function_call_output) are tool traffic.
    private static void ReadItems(JsonElement items, List<RouteTurn> turns, StringBuilder system)
    {
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String) { AddTurn(turns, "user", item.GetString()); continue; }
            if (item.ValueKind != JsonValueKind.Object) continue;
            var role = item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() ?? "" : "";
            var text = new StringBuilder();
            if (item.TryGetProperty("content", out var content)) AppendText(text, content, 0);
            if (role.Length == 0)
            {
                // Responses function_call / function_call_output items, and anything else with text in it.
                if (item.TryGetProperty("output", out var output)) AppendText(text, output, 0);
                if (item.TryGetProperty("arguments", out var arguments)) AppendText(text, arguments, 0);
                role = "tool";
            }
            // An Anthropic user turn made only of tool_result blocks is tool traffic, not a new question.
            if (role == "user" && OnlyToolResults(content)) role = "tool";
            if (role is "system" or "developer")
            {
                if (system.Length > 0 && text.Length > 0) system.Append('\n');
                system.Append(text);
                continue;
            }
            // OpenAI assistant tool calls carry their arguments beside the content.
            if (item.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                foreach (var call in calls.EnumerateArray())
                    if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var fn) && fn.ValueKind == JsonValueKind.Object
                        && fn.TryGetProperty("arguments", out var args))
                        AppendText(text, args, 0);
            AddTurn(turns, role, text.ToString());
        }
    }

    private static bool OnlyToolResults(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Array || content.GetArrayLength() == 0) return false;
        foreach (var part in content.EnumerateArray())
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || t.GetString() != "tool_result")
                return false;
        return true;
    }

    private static void AddTurn(List<RouteTurn> turns, string role, string? text) => turns.Add(new RouteTurn(role, text ?? ""));

    // The text of a content value: a string, a list of parts ({type: text|input_text|output_text, text}, Anthropic
    // tool_result with nested content, tool_use with input), or a part object. Images and files carry no text.
    private static void AppendText(StringBuilder into, JsonElement value, int depth)
    {
        if (depth > MaxDepth) return;
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Separate(into);
                into.Append(value.GetString());
                break;
            case JsonValueKind.Array:
                foreach (var part in value.EnumerateArray()) AppendText(into, part, depth + 1);
                break;
            case JsonValueKind.Object:
                if (value.TryGetProperty("text", out var text)) AppendText(into, text, depth + 1);
                if (value.TryGetProperty("content", out var content)) AppendText(into, content, depth + 1);
                if (value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "tool_use"
                    && value.TryGetProperty("input", out var toolInput))
                {
                    Separate(into);
                    into.Append(toolInput.GetRawText());
                }
                break;
        }
    }

    private static void Separate(StringBuilder into)
    {
        if (into.Length > 0 && into[^1] != '\n') into.Append('\n');
    }

    private static int ToolCount(JsonElement root)
    {
        var count = 0;
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array) count += tools.GetArrayLength();
        if (root.TryGetProperty("functions", out var functions) && functions.ValueKind == JsonValueKind.Array) count += functions.GetArrayLength();
        return count;
    }

    private static long? RequestedOutput(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_output_tokens", "max_tokens"])
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0) return n;
        return null;
    }
}
