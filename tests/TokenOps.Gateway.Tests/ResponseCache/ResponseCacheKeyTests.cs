using System.Text.Json;
using System.Text.Json.Nodes;
using TokenOps.Gateway.ResponseCache;

namespace TokenOps.Gateway.Tests.ResponseCache;

/// <summary>The key: the canonical request, the serving model, the route and the scope, and nothing else.</summary>
public sealed class ResponseCacheKeyTests
{
    private static string Key(string json, string scope = "team:core", string model = "gpt-4o-mini", string route = "openai.chat")
    {
        using var doc = JsonDocument.Parse(json);
        return ResponseCacheKey.Compute(route, model, scope, doc.RootElement);
    }

    /// <summary>Property: random nested requests, their properties shuffled at every depth, hash the same; one changed leaf does not.</summary>
    [Fact]
    public void Shuffled_property_order_never_changes_the_key_and_a_changed_value_always_does()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var request = RandomObject(random, 3);
            var shuffled = Shuffle(request, random);
            Assert.Equal(Key(request.ToJsonString()), Key(shuffled.ToJsonString()));
            var changed = (JsonObject)request.DeepClone();
            changed["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "x" + i });
            Assert.NotEqual(Key(request.ToJsonString()), Key(changed.ToJsonString()));
        }
    }

    [Fact]
    public void Stream_user_and_metadata_are_left_out_the_model_is_the_serving_one()
    {
        var plain = Key("""{"model":"alias","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(plain, Key("""{"model":"other-alias","stream":true,"stream_options":{"include_usage":true},"user":"u","metadata":{"k":"v"},"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.NotEqual(plain, Key("""{"model":"alias","messages":[{"role":"user","content":"hi"}]}""", model: "gpt-4.1-mini"));
        Assert.NotEqual(plain, Key("""{"model":"alias","temperature":0,"messages":[{"role":"user","content":"hi"}]}"""));
        Assert.NotEqual(plain, Key("""{"model":"alias","messages":[{"role":"user","content":"hi"}],"tools":[]}"""));
    }

    [Fact]
    public void Scope_and_route_are_part_of_the_key()
    {
        const string body = """{"messages":[{"role":"user","content":"hi"}]}""";
        var keys = new[]
        {
            Key(body), Key(body, "team:other"), Key(body, "person:ada"), Key(body, "org"), Key(body, route: "anthropic.messages"),
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public void Escaped_and_plain_strings_are_the_same_request()
    {
        Assert.Equal(Key("""{"messages":[{"role":"user","content":"caf\u00e9"}]}"""), Key("""{"messages":[{"role":"user","content":"café"}]}"""));
    }

    private static JsonObject RandomObject(Random random, int depth)
    {
        var o = new JsonObject();
        var count = random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var name = "f" + random.Next(0, 20);
            if (o.ContainsKey(name) || name == "model") continue;
            o[name] = depth > 0 && random.Next(3) == 0 ? RandomObject(random, depth - 1)
                : random.Next(3) switch { 0 => JsonValue.Create(random.Next(100)), 1 => JsonValue.Create("s" + random.Next(100)), _ => new JsonArray(JsonValue.Create(random.Next(5)), JsonValue.Create("a")) };
        }
        o["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello" });
        return o;
    }

    private static JsonNode Shuffle(JsonNode node, Random random) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(_ => random.Next()).Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Shuffle(p.Value, random)))),
        JsonArray a => new JsonArray(a.Select(x => x is null ? null : Shuffle(x, random)).ToArray()),
        _ => node.DeepClone(),
    };
}
