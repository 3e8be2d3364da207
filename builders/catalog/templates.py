"""Comfy-Org's official LTX-2-family templates, each named to the pipeline that computes it and
the request that reproduces it.

``comfyui-workflow-templates-json`` 0.1.123 ships 21 LTX-2-family templates (beside two for
the older LTX-Video 0.9.5). Each one the SDK matches is an :class:`OfficialTemplate` here: the
pipeline that computes what it computes (checked stage by stage by
``tests/builders/test_templates_match.py``) and the template's own settings, so that
``ltx2 build --template NAME`` reproduces it: its prompt, seed, size, length, frame rate and
LoRAs, and nothing it lacks (no camera LoRA: none of them loads one). Input files are
placeholders, the names an offline build gives them. A template may add a LoRA to a pipeline
(``template_ltx2_3_style_transition`` is LTX-2.3's first-and-last-frame pipeline with a
transition LoRA; ``video_ltx2_i2v_lora`` is ltx-2 i2v lora with its effect LoRA): its example
carries it in ``loras``, placed as the user's own LoRAs are.
Every value is the template's (``tests/builders/test_template_examples.py`` holds them equal);
the LTX-2.3 templates ask for 126 or 151 frames, which the latent floors to 8n+1 (121, 145):
the examples give what is made. :data:`NOT_YET` names the templates no pipeline makes yet.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from ltx2sdk.errors import UnknownTemplateError

from .types import LoraFile, PipelineKey

TEMPLATES_PACKAGE = "comfyui-workflow-templates-json 0.1.123"
"""Where the templates come from (PyPI)."""


@dataclass(frozen=True)
class OfficialTemplate:
    """One official template: its name and title (``index.json``), the pipeline that computes
    it (and, for a template holding several side by side, which of them: ``variant``), the
    ComfyUI release it asks for (``minComfyUIVersion``), and its own settings."""

    name: str
    title: str
    pipeline: PipelineKey
    variant: str | None
    min_comfyui: str
    width: int
    height: int
    frames: int
    fps: int
    seed: int  # stage 1's noise seed (a later stage's fixed seed is the pipeline's)
    loras: tuple[LoraFile, ...]  # LoRAs the template adds to the pipeline's own
    prompt: str

    def example(self, inputs: dict[str, str] | None = None) -> dict[str, Any]:
        """The request that reproduces the template: its settings, and ``inputs`` (request
        field -> file name: the placeholders of an offline build) for the input files."""
        model, kind, mode = self.pipeline
        fields: dict[str, Any] = {
            "prompt": self.prompt, "model": model, "type": kind, "mode": mode,
            "width": self.width, "height": self.height, "frames": self.frames, "fps": self.fps,
            "seed": self.seed, "camera_lora": "none"}
        if self.loras:
            fields["loras"] = [{"name": lora.name, "strength": lora.strength}
                               for lora in self.loras]
        return {**fields, **(inputs or {})}


TEMPLATES: tuple[OfficialTemplate, ...] = (
    OfficialTemplate(
        "video_ltx2_t2v", "LTX-2 Text to Video",
        PipelineKey("ltx-2", "t2v", "pro"), variant=None, min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=24, seed=10,
        loras=(),
        prompt=("A close-up of a cheerful girl puppet with curly auburn yarn hair and wide"
                " button eyes, holding a small red umbrella above her head. Rain falls "
                "gently around her. She looks upward and begins to sing with joy in "
                "English: \"It's raining, it's raining, I love it when its raining.\" Her "
                "fabric mouth opening and closing to a melodic tune. Her hands grip the "
                "umbrella handle as she sways slightly from side to side in rhythm. The "
                "camera holds steady as the rain sparkles against the soft lighting. Her "
                "eyes blink occasionally as she sings.")),
    OfficialTemplate(
        "video_ltx2_t2v_distilled", "LTX-2 Text to Video (Distilled)",
        PipelineKey("ltx-2", "t2v", "fast"), variant=None, min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=24, seed=45,
        loras=(),
        prompt=("A man in a black tuxedo stands motionless in a small, red-tiled bathroom,"
                " facing a mirror. The camera sits just behind his right shoulder, framing"
                " both his back and his solemn reflection. Suddenly, he opens his mouth "
                "and begins to sing opera in Italian: \"La donna è mobile, qual piuma al "
                "vento.\" Rich, resonant notes echo through the space. As his voice climbs "
                "in pitch, his brows lift, and his expression becomes more passionate, "
                "almost vulnerable. The overhead lighting casts a sharp glow on his face "
                "and tuxedo, reflecting in the glossy red tiles around him. The camera is "
                "static")),
    OfficialTemplate(
        "video_ltx2_i2v", "LTX-2: Image to Video",
        PipelineKey("ltx-2", "i2v", "pro"), variant=None, min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=25, seed=10,
        loras=(),
        prompt=("A close-up shot of a young waitress in a retro 1950s diner, her warm "
                "brown eyes meeting the camera with a gentle smile. She wears a black "
                "polka-dot dress with an elegant cream lace collar, her reddish-brown hair"
                " styled in an elaborate updo with delicate curls framing her freckled "
                "face. Soft, warm light from overhead fixtures illuminates her features as"
                " she stands behind a yellow counter. The camera begins slightly to her "
                "side, then slowly pushes in toward her face, revealing the subtle rosy "
                "blush on her cheeks. In the blurred background, the soft teal walls and a"
                " glowing red \"Diner\" sign create a nostalgic atmosphere. The ambient "
                "sounds of clinking dishes, distant conversations, and the gentle hum of a"
                " jukebox fill the air. She tilts her head slightly and says in a "
                "friendly, warm voice: \"Welcome to Rosie's. What can I get for you today?\""
                " The mood is inviting, timeless, and full of classic American diner "
                "charm.")),
    OfficialTemplate(
        "video_ltx2_i2v_distilled", "LTX-2 Image to Video (Distilled)",
        PipelineKey("ltx-2", "i2v", "fast"), variant=None, min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=25, seed=10,
        loras=(),
        prompt=("A wide, dynamic tracking shot follows a group of mountain bikers as they "
                "race across a pristine snow-covered landscape on a brilliant winter "
                "morning. The camera moves at speed, keeping pace with the lead biker in a"
                " vibrant yellow jacket and orange helmet, who launches into the air over "
                "a snow mound, their bike suspended against the clear blue sky. Snow "
                "particles explode around them, catching the golden light of the low sun "
                "that creates dramatic backlighting and long shadows across the terrain. "
                "Several other bikers follow closely behind, their dark silhouettes "
                "kicking up plumes of powdery snow as they navigate the undulating mounds."
                " The only sounds are the crunch of tires biting into packed snow, the "
                "whoosh of air as they fly through jumps, and the distant sound of heavy "
                "breathing and excited shouts. One biker calls out to another with "
                "exhilaration: \"This is incredible! The light is perfect!\" Another "
                "responds with a breathless laugh: \"Keep pushing! We're almost at the "
                "ridge!\" The camera glides smoothly alongside the group, occasionally "
                "pulling back to reveal the full expanse of the snowy landscape with bare "
                "birch trees and dark evergreens lining the edge. The mood is "
                "exhilarating, fast-paced, and full of the raw energy of winter mountain "
                "biking, with every jump and turn captured in crisp detail against the "
                "brilliant white snow and vibrant sky.")),
    OfficialTemplate(
        "video_ltx2_i2v_lora", "Squish Anything with LTX-2 I2V and LoRA",
        PipelineKey("ltx-2", "i2v", "lora"), variant=None, min_comfyui="0.8.0",
        width=1280, height=1280, frames=281, fps=24, seed=4545545,
        # LoraLoaderModelOnly 92:110 / 92:109: the effect LoRA, at 1 on both stages
        loras=(LoraFile("ltx2-squish.safetensors", 1.0),),
        prompt=("squish it -- a woman's voice exclaims \"I'm gonna squish this adorable little"
                " puppy... squish squish squishy\"")),
    OfficialTemplate(
        "video_ltx2_canny_to_video", "LTX-2 Canny to Video",
        PipelineKey("ltx-2", "canny2v", "pro"), variant=None, min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=24, seed=0,
        loras=(),
        prompt=("A wide shot reveals a whimsical outdoor scene with a decorative tree-like"
                " structure crafted from brown branches. Golden spherical ornaments and "
                "delicate white artificial flowers adorn the branches, catching bright "
                "daylight. A small grey and white squirrel stands on a round, light-"
                "colored wooden platform at the base, its bushy tail slightly raised. The "
                "squirrel dips its head down, nibbling at something on the platform. The "
                "camera slowly pushes in, focusing on the squirrel's gentle movements. "
                "Soft forest sounds fill the air—rustling leaves, distant birdsong, and a "
                "gentle breeze. The golden ornaments shimmer in the sunlight as the "
                "squirrel continues to eat.")),
    OfficialTemplate(
        "video_ltx2_canny_to_video", "LTX-2 Canny to Video",
        PipelineKey("ltx-2", "canny2v", "fast"), variant="distilled", min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=24, seed=0,
        loras=(),
        prompt=("A wide shot reveals a whimsical outdoor scene with a decorative tree-like"
                " structure crafted from brown branches. Golden spherical ornaments and "
                "delicate white artificial flowers adorn the branches, catching bright "
                "daylight. A small grey and white squirrel stands on a round, light-"
                "colored wooden platform at the base, its bushy tail slightly raised. The "
                "squirrel dips its head down, nibbling at something on the platform. The "
                "camera slowly pushes in, focusing on the squirrel's gentle movements. "
                "Soft forest sounds fill the air—rustling leaves, distant birdsong, and a "
                "gentle breeze. The golden ornaments shimmer in the sunlight as the "
                "squirrel continues to eat.")),
    OfficialTemplate(
        "video_ltx2_depth_to_video", "LTX-2 Depth to Video",
        PipelineKey("ltx-2", "depth2v", "pro"), variant=None, min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=24, seed=0,
        loras=(),
        prompt=("An expansive, sunlit modern lounge perched high above the city, where "
                "floor-to-ceiling glass walls flood the open-concept space with natural "
                "light and frame sweeping panoramic views of the sprawling urban skyline "
                "below. Warm, rich wood flooring and matching wood-paneled ceilings anchor"
                " the design, accented by soft orange LED cove lighting that traces the "
                "ceiling edges, while exposed-bulb chandeliers and large black pendant "
                "lamps cast a cozy glow over the communal high-top wooden table, central "
                "workstations, and plant-adorned built-in shelves, blending sleek "
                "contemporary style with a relaxed, inviting atmosphere perfect for both "
                "work and leisure.")),
    OfficialTemplate(
        "video_ltx2_depth_to_video", "LTX-2 Depth to Video",
        PipelineKey("ltx-2", "depth2v", "fast"), variant="distilled", min_comfyui="0.8.0",
        width=1280, height=720, frames=121, fps=24, seed=0,
        loras=(),
        prompt=("An expansive, sunlit modern lounge perched high above the city, where "
                "floor-to-ceiling glass walls flood the open-concept space with natural "
                "light and frame sweeping panoramic views of the sprawling urban skyline "
                "below. Warm, rich wood flooring and matching wood-paneled ceilings anchor"
                " the design, accented by soft orange LED cove lighting that traces the "
                "ceiling edges, while exposed-bulb chandeliers and large black pendant "
                "lamps cast a cozy glow over the communal high-top wooden table, central "
                "workstations, and plant-adorned built-in shelves, blending sleek "
                "contemporary style with a relaxed, inviting atmosphere perfect for both "
                "work and leisure.")),
    OfficialTemplate(
        "video_ltx2_3_t2v", "LTX-2.3: Text to Video",
        PipelineKey("ltx-2.3", "t2v", "fast"), variant=None, min_comfyui="0.16.4",
        width=1280, height=720, frames=121, fps=25, seed=810138461690240,
        loras=(),
        prompt=("Dynamic cinematic close-up of high-tech modular machinery self-assembling"
                " in midair, precision robotic parts, magnetic connectors, and glowing "
                "circuits clicking together, subtle smoke and light flares, extremely "
                "detailed titanium textures. The final product displays a clean, clear "
                "surface with large glowing engraved text “LTX-2.3” centered and "
                "unobstructed, dramatic lighting, photorealism, 8K, sharp focus.\n")),
    OfficialTemplate(
        "video_ltx2_3_i2v", "LTX-2.3: Image to Video",
        PipelineKey("ltx-2.3", "i2v", "fast"), variant=None, min_comfyui="0.16.4",
        width=1280, height=720, frames=121, fps=25, seed=60540193790228,
        loras=(),
        prompt=("Egyptian royal in blue-and-gold headdress and high collar, white dress "
                "with golden embroidery and armbands, desert, robot soldiers in formation "
                "left and right. She walks steadily forward, head held level and gaze "
                "fixed ahead—no dipping or lowering of the head. The camera performs a "
                "single, smooth push-in only: starting in a wider shot of her, the robots,"
                " and the desert, it moves steadily forward until she is in a medium or "
                "medium-close frame, then holds. She stops, posture and head still "
                "upright, and says: “The old gods are silent. I am not.” Robot soldiers "
                "shift or march in place; sand and fabric move with the wind. No pull-"
                "back; the only camera move is the continuous push-in.")),
    OfficialTemplate(
        "video_ltx2_3_flf2v", "LTX-2.3: FLF2V",
        PipelineKey("ltx-2.3", "flf2v", "fast"), variant=None, min_comfyui="0.16.4",
        width=1280, height=720, frames=121, fps=25, seed=315253765879496,
        loras=(),
        prompt=("The camera move from a high position to a low position, keeping the "
                "character in the frame centered.\nMusic: Synthwave cyberpunk music with "
                "calm ambient synths and driving 80s beats.")),
    OfficialTemplate(
        "video_ltx2_3_ia2v", "LTX-2.3: Image Audio to Video",
        PipelineKey("ltx-2.3", "ia2v", "fast"), variant=None, min_comfyui="0.16.4",
        width=1280, height=720, frames=217, fps=24, seed=225158785956033,
        loras=(),
        prompt=("The fuzzy cactus creature is talking to the viewer as it grips the "
                "steering wheel with one hand, the other hand gestures naturally as it "
                "speaks. The car is moving, revealing the sunlit coastal background, "
                "static camera fixed on character, smooth side-tracking shot matching the "
                "car speed\n\nscene: Sunlit coastal road trip, clear coastal background\n"
                "character: Fuzzy cactus creature with big square sunglasses and a "
                "Hawaiian shirt\naction: One hand grips the steering wheel, the other "
                "gestures naturally while talking to the camera\ncamera: Fixed on "
                "character, smooth side-tracking shot matching car speed")),
    OfficialTemplate(
        "video_ltx2_3_id_lora", "LTX-2.3: ID LoRA",
        PipelineKey("ltx-2.3", "id2v", "fast"), variant=None, min_comfyui="0.19.0",
        width=1280, height=720, frames=249, fps=25, seed=597157848195547,
        loras=(),
        # its PrimitiveInt asks for 251 frames, which the latent floors to 249
        prompt=("[VISUAL]: Opens with a medium shot, camera slowly pushes in toward the "
                "character. A man with short dark hair and round glasses, wearing a retro "
                "orange floral shirt, looks directly at the camera, his mouth opens and closes "
                "naturally as he speaks, tilts his head playfully.\n[SPEECH]: Hey, what do you "
                "think of this vibe? Feels like we\u2019re back in the 90s.\n[SOUNDS]: Playful "
                "and upbeat tone, moderate volume, close to the microphone. ")),
    OfficialTemplate(
        "video_ltx2_3_ic_lora", "LTX 2.3 IC-LoRA Union Control",
        PipelineKey("ltx-2.3", "depth2v", "fast"), variant=None, min_comfyui="0.22.0",
        width=1280, height=704, frames=121, fps=25, seed=0,
        loras=(),
        # its Video Slice takes 5 s of the video: 126 frames at 25 fps, which the latent
        # floors to 121
        prompt=("A slow forward dolly shot on a bright, sunlit day in a lush jungle ruin. A "
                "lone figure in nature-themed armor stands before a weathered stone arch "
                "overgrown with ivy. A textured marble sphere wrapped in twisting vines "
                "levitates in the arch\u2019s center, spinning slowly. As the camera glides "
                "forward, vines sway softly, leaves flutter in the light breeze. Strong golden "
                "sunlight streams through the canopy, illuminating the mossy ruins with "
                "bright, clear light. The scene feels vibrant and peaceful, with subtle "
                "natural motion.")),
    OfficialTemplate(
        "template_ltx2_3_ic_lora_ingredients", "LTX-2.3 IC-LoRA: Reference Sheet Control",
        PipelineKey("ltx-2.3", "ref2v", "fast"), variant=None, min_comfyui="0.22.0",
        width=1280, height=704, frames=121, fps=25, seed=288370150520961,
        loras=(),
        # its RepeatImageBatch makes 125 frames (5 s at 25 fps), which the latent floors to
        # 121; its 1280x720 latent is 1280x704
        prompt=(
                '### Reference Sheet Description **Top Row Left (Character):** An anthropomor'
                'phic bipedal German Shepherd news anchor with realistic brown, tan, and blac'
                'k fur, a calm professional expression, and thin round copper-bronze framed g'
                'lasses. He is shown in close-up portraits and full-body front, three-quarter'
                ', side, and back views standing upright like a person, with a humanoid torso'
                ' and limbs and a long bushy German Shepherd tail. He wears a vibrant long-sl'
                'eeve button-down shirt with an abstract multicolored pink-purple-turquoise-y'
                'ellow woven pattern, dark charcoal dress pants, and dark leather dress shoes'
                '. **Top Row Right (Prop):** A professional black studio condenser microphone'
                ' on a short circular desk stand shown from multiple angles, plus black over-'
                'the-ear wireless earpieces / headsets for broadcast cues. **Middle Row Right'
                ' (Prop):** A flat product view of the same vibrant long-sleeve multicolored '
                'patterned button-down shirt, clearly showing the abstract pink, purple, turq'
                'uoise, and yellow woven texture. **Bottom Row (Setting):** A wide shot of a '
                'high-end professional news studio with a large curved dark teal anchor desk '
                'in the foreground, a massive digital backdrop screen displaying bold white "'
                'NEWS" lettering over soft blue-green abstract graphics, and polished cinemat'
                'ic broadcast lighting with studio fixtures visible around the set.\n\n### Targ'
                'et Description A cozy, cinematic scene inside a high-end professional news s'
                'tudio. The camera begins on a wide establishing shot of the large curved dar'
                'k teal anchor desk and the soft-focus blue-green "NEWS" backdrop, then smoot'
                'hly pushes in to a steady medium shot of the anthropomorphic bipedal German '
                'Shepherd news anchor seated behind the desk. He has realistic brown-tan-blac'
                'k fur, thin round copper-bronze glasses, and a calm professional expression.'
                ' He wears the vibrant long-sleeve multicolored pink-purple-turquoise-yellow '
                'patterned button-down shirt with dark charcoal dress pants. His paw-like han'
                'ds rest on the desk near the black studio condenser microphone. The studio i'
                's bathed in polished cinematic broadcast light from the backdrop and overhea'
                'd fixtures. His initial expression is focused and composed, then he leans sl'
                'ightly toward the microphone, softens into a confident on-air smile, and spe'
                'aks clearly to camera: "Good evening, and welcome to tonight\'s top stories."'
                ' He pauses briefly, glances down at the desk, then looks back up and continu'
                'es: "Here\'s what you need to know." The background "NEWS" screen and studio '
                'lights remain softly detailed behind him, emphasizing his face, glasses, and'
                ' colorful shirt under the clean broadcast lighting.')),
    OfficialTemplate(
        "template_ltx2_3_style_transition", "LTX-2.3 Style Transition",
        PipelineKey("ltx-2.3", "flf2v", "fast"), variant=None, min_comfyui="0.16.4",
        width=720, height=1280, frames=145, fps=25, seed=767871932424233,
        loras=(LoraFile("ltx2.3-transition.safetensors", 1.0),),
        prompt=("The red hair wizard girl looks up as the magical flame burns in her palm."
                " Camera dollys out. The scene turns from a professional photography to a "
                "wet pastel watercolor painting. zhuanchang")),
    OfficialTemplate(
        "video_ltx2_5_t2v", "LTX-2.5: Text to Video",
        PipelineKey("ltx-2.5", "t2v", "fast"), variant=None, min_comfyui="0.32.0",
        width=1280, height=736, frames=121, fps=24, seed=558811532553686,
        loras=(),
        prompt=("A close-up of an Arctic hunter's face, his eyes fixed straight ahead, "
                "narrowed and locked on something in the far distance directly in front of"
                " him, frost dusting his dark beard, one hand slowly reaching toward the "
                "rifle slung on his back, his breath quick and shallow, the tension in his"
                " jaw visible even through the scarf. The camera slowly pulls back, "
                "revealing him crouched at the edge of an ice floe, and ahead of him, in "
                "the exact direction of his gaze, a polar bear moves slowly along a "
                "distant ice ridge, its pale coat blending into the white haze, facing "
                "toward him. The pull-back continues, the hunter in the foreground and the"
                " bear far ahead, the two facing each other across the dark lead of water,"
                " the ice field and grey sea stretching around them, seabirds wheeling "
                "overhead. Midway through the shot, the complete title \"LTX-2.5\" fades in "
                "large and centered, plain white sans-serif letters with wide spacing, no "
                "glow, no shadow, no ornament, the lettering large enough to dominate the "
                "center of the frame, emerging slowly from the mist, resting still and "
                "blending into the snowscape, with the hunter and the bear still visible "
                "below on either side of the title, staying through the end of the scene. "
                "The wind carries the distant sound of shifting ice, a single low growl "
                "rolling across the water.")),
    OfficialTemplate(
        "video_ltx2_5_i2v", "LTX-2.5: Image to Video",
        PipelineKey("ltx-2.5", "i2v", "fast"), variant=None, min_comfyui="0.32.0",
        width=1280, height=736, frames=121, fps=24, seed=875362541677469,
        loras=(),
        prompt=("Use the provided start image as the first frame. The cybernetic figure "
                "slowly turns his head to the right, his glowing blue eyes scanning the "
                "horizon, mechanical joints in his neck whirring faintly. The camera "
                "follows his gaze, panning across the rooftop to reveal the city beyond: a"
                " river of light winding between dark towers, a flying vehicle gliding "
                "past between the buildings, its lights streaking. He watches it pass, "
                "then his eyes narrow slightly. The camera settles on his profile against "
                "the city glow, distant hover traffic humming, wind gusting across the "
                "rooftop. No text, no black frames.")),
    OfficialTemplate(
        "video_ltx2_5_flf2v", "LTX-2.5: FLF2V",
        PipelineKey("ltx-2.5", "flf2v", "fast"), variant=None, min_comfyui="0.32.0",
        width=1280, height=720, frames=121, fps=24, seed=873293130933086,
        loras=(),
        prompt=("Use the provided start image as the first frame and the provided end "
                "image as the final frame anchor. The video opens on the back of the "
                "robotic hand, four fingers slightly curled, joints glowing faintly in the"
                " darkness, a low electrical hum filling the space. The hand rotates "
                "slowly at the wrist, turning from the back view toward the palm side, the"
                " four visible fingers uncurling gently one by one, starting with the "
                "index finger, then the middle, ring, and pinky, each joint clicking "
                "softly. As the palm turns upward, the thumb swings out from the side of "
                "the hand into view, clearly separate from the four fingers, all five "
                "fingers spreading open. A blue energy crystal fades into existence above "
                "the palm, its hum rising into a resonant tone, thin energy threads "
                "coiling around it, particles crackling softly as they spiral away like "
                "sparks. The crystal rotates slowly, hovering above the fully open hand, "
                "light spilling between the five spread fingers, the crystal's steady hum "
                "filling the silence as the video ends on the open palm with the glowing "
                "crystal.\n")),
    # the hosted LTX-2.5 API (partner nodes): frames are the node's seconds x fps, + 1
    OfficialTemplate(
        "api_ltx2_5_t2v", "LTX-2.5 (Pro): Text to Video",
        PipelineKey("ltx-2.5-api", "t2v", "pro"), variant=None, min_comfyui="0.32.0",
        width=1280, height=720, frames=126, fps=25, seed=42,
        loras=(),
        prompt=("CLOSE-UP: A man in a rumpled shirt stands by an apartment window at night,"
                " phone pressed to his ear, the city lights blurring beyond the glass, his "
                "own reflection ghosting beside him. He listens for a long moment, then say"
                "s quietly, \"I know I should have called.\" He pauses, rubs his forehead, an"
                "d continues, \"I'm sorry. I just...\" Another pause, his voice dropping, \"I "
                "didn't know what to say.\" He listens again, a small tired smile forming, a"
                "nd finally says, \"Yeah. Yeah, I'd like that.\" The camera slowly pushes in "
                "on his face as he ends the call and lowers the phone, the city hum and a d"
                "istant siren filling the silence, his reflection staring back at him from "
                "the glass. No text, no black frames.\n")),
    OfficialTemplate(
        "api_ltx2_5_i2v", "LTX-2.5 (Pro): Image to Video",
        PipelineKey("ltx-2.5-api", "i2v", "fast"), variant=None, min_comfyui="0.32.0",
        width=1920, height=1080, frames=201, fps=25, seed=42,
        loras=(),
        prompt=("Use the provided start image as the first frame. EPIC WIDE SHOT: a line of"
                " warships exchanges heavy fire with an enemy fleet in high orbit, massive "
                "beams of light crossing between the formations, each hit blooming into a b"
                "urst of fire on the hulls, debris drifting between the ships. The ships fi"
                "re in sequence, one beam after another, hull lights flashing along the bat"
                "tle line. The camera drifts slowly along the formation, passing the firing"
                " ships, their cannons glowing white-hot between shots. Deep resonant beam "
                "hums, rolling detonations through the void, the low rumble of the ships, a"
                " sustained combat tone. The camera pulls back to show the full line of shi"
                "ps locked in battle against the enemy fleet. No text, no black frames.")),
    OfficialTemplate(
        "api_ltx2_5_flf2v", "LTX-2.5 (Pro): FLF2V",
        PipelineKey("ltx-2.5-api", "flf2v", "pro"), variant=None, min_comfyui="0.32.0",
        width=1280, height=720, frames=126, fps=25, seed=42,
        loras=(),
        prompt=("The camera opens on a WIDE SHOT of a matte grey Porsche sports car in a mi"
                "nimalist concrete showroom, its sleek silhouette reflected in the polished"
                " floor, soft overhead light washing evenly over the bodywork. The car stan"
                "ds motionless, sculpted wheel arches and dark alloy wheels catching the li"
                "ght, the matte paint smooth and flawless. The camera drifts slowly around "
                "the vehicle in a smooth, unhurried arc, the angle gradually opening from a"
                " front three-quarter view to a front-side profile, reflections gliding acr"
                "oss the bodywork at the same gentle pace, no abrupt movement, seamless and"
                " natural. The showroom is almost silent: a single soft piano note sounds e"
                "very few seconds, barely audible, fading gently over a faint ambient pad, "
                "the quiet hum of the space the only constant presence. Photorealistic, sha"
                "rp vehicle details, anamorphic lens, shallow depth of field, consistent am"
                "bient tone, stable exposure, no dramatic light changes. No text, no black "
                "frames.")),)
"""Every official template a pipeline computes, LTX-2 first; a template holding two pipelines
(the control templates: dev and distilled) is here once per pipeline."""

NOT_YET: dict[str, str] = {}
"""The official LTX-2-family templates no pipeline computes yet, and why."""


def template_named(name: str, pipeline: PipelineKey | None = None) -> OfficialTemplate:
    """The template ``name`` (for one holding several pipelines, the one it queues as shipped,
    or the one of ``pipeline``); an :class:`~ltx2sdk.errors.UnknownTemplateError` naming the
    nearest name, or why no pipeline makes it yet."""
    found = [t for t in TEMPLATES if t.name == name]
    if pipeline is not None:
        found = [t for t in found if t.pipeline == pipeline] or found
    if found:
        return found[0]
    if name in NOT_YET:
        raise UnknownTemplateError(name, f"no pipeline makes it yet: {NOT_YET[name]}")
    names = list(dict.fromkeys(t.name for t in TEMPLATES))
    near = difflib.get_close_matches(name, [*names, *NOT_YET], n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else " (ltx2 pipelines lists them)"
    raise UnknownTemplateError(name, f"not an official LTX-2 template{hint}")


def templates_of(pipeline: PipelineKey) -> tuple[OfficialTemplate, ...]:
    """The templates ``pipeline`` computes (with their LoRAs: a template may add one)."""
    return tuple(t for t in TEMPLATES if t.pipeline == pipeline)
