"""The offline tiny model: loads like a Hub checkpoint and keeps the think tags TRL's decoding sees."""

from __future__ import annotations


def test_think_tags_survive_decoding_without_special_tokens(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = "<think> 2 + 3 = 5 </think> \\boxed{5}"
    ids = tokenizer(text + tokenizer.eos_token)["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids)[0] == "<think>"
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_chat_template_opens_the_assistant_turn_and_model_generates(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2 + 3?"}], add_generation_prompt=True, tokenize=False
    )
    assert prompt.endswith("<|im_start|>assistant\n")
    inputs = tokenizer(prompt, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert output.shape[1] == inputs["input_ids"].shape[1] + 5 or tokenizer.eos_token_id in output[0].tolist()
